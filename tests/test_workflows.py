"""The GitHub workflows: actionlint (with shellcheck on every `run:` script), and their safety rules
read from the parsed YAML: actions pinned to commits, secrets only behind environments, no write
token where a pull request's code runs, installs from the hashed locks, every committed stack. The
review's diff step runs for real, with a fake `diff`, for its exit-code handling.

The linters come from requirements-dev.txt as wheels that ship the binaries, so `.ci/run` lints the
workflows on every run. A missing linter fails the test: it never skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import markdown
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
DEPLOY = WORKFLOWS / "deploy.yml"


def _tool(name: str) -> str:
    """The binary installed next to this interpreter (the venv), else on PATH; fail if neither."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: python -m pip install -r requirements-dev.txt")
    return found


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    """Run actionlint with the venv's shellcheck on the given workflow files."""
    return subprocess.run(
        [_tool("actionlint"), "-shellcheck", _tool("shellcheck"), "-no-color", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def _load(path: Path) -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in _steps(job) if str(s.get("uses", "")).startswith(action + "@")]


def test_workflows_pass_actionlint_and_shellcheck() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"pull-request.yml", "deploy.yml"}
    proc = actionlint(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_reports_a_broken_workflow_and_a_shell_bug(tmp_path: Path) -> None:
    # Proves the lint above can fail: a wrong expression context, and an unquoted variable for shellcheck.
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\n"
        "jobs:\n"
        "  j:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.no_such_property.x }}\n"
        "      - run: |\n"
        "          files=$(ls)\n"
        "          rm $files\n"
    )
    proc = actionlint(bad)
    assert proc.returncode == 1
    assert "no_such_property" in proc.stdout
    assert "SC2086" in proc.stdout, "shellcheck must run on run: scripts"


# --- properties of every workflow -------------------------------------------------------------------

ALL = sorted(WORKFLOWS.glob("*.yml"))
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
_PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
_TAG_COMMENT = re.compile(r"\s+#\s+v\d+(?:\.\d+)*\s*$")


def _jobs(path: Path) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = _load(path)["jobs"]
    return jobs


def _uses_lines(path: Path) -> list[tuple[str, str]]:
    found = [(m["ref"], m["comment"]) for line in path.read_text().splitlines() if (m := _USES.match(line))]
    assert found, f"{path.name} uses no action?"
    return found


def pin_problems(path: Path) -> list[str]:
    """Each third-party action of a workflow that is not pinned to a full commit with its tag."""
    problems = []
    for ref, comment in _uses_lines(path):
        if ref.startswith("./"):
            continue  # this repository's own code, reviewed with it
        if not _PINNED.fullmatch(ref):
            problems.append(f"{ref}: not pinned to a full 40-hex commit SHA")
        elif not _TAG_COMMENT.fullmatch(comment):
            problems.append(f"{ref}: its release tag is not in a comment (# vX.Y.Z)")
    return problems


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_to_a_commit_with_its_tag(path: Path) -> None:
    # A tag can be moved to other code by whoever controls the action's repository; a commit cannot.
    assert pin_problems(path) == []
    # The YAML parse sees the same steps as the line scan (no `uses` hidden in a flow mapping).
    parsed = [s["uses"] for job in _jobs(path).values() for s in job.get("steps", []) if "uses" in s]
    assert sorted(parsed) == sorted(ref for ref, _ in _uses_lines(path))


def test_the_same_commit_carries_the_same_tag_everywhere() -> None:
    tags: dict[str, set[str]] = {}
    for path in ALL:
        for ref, comment in _uses_lines(path):
            tags.setdefault(ref, set()).add(comment.strip())
    assert {ref: t for ref, t in tags.items() if len(t) > 1} == {}


def test_pin_check_refuses_tags_branches_short_shas_and_a_missing_tag(tmp_path: Path) -> None:
    sha = "93cb6efe18208431cddfb8368fd83d5badbf9bfd"
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "jobs:\n  j:\n    steps:\n"
        "      - uses: actions/checkout@v5\n"
        "      - uses: actions/checkout@main # v5.0.1\n"
        "      - uses: actions/checkout@93cb6ef # v5.0.1\n"
        f"      - uses: actions/checkout@{sha}\n"
        f"      - uses: actions/checkout@{sha} # v5.0.1\n"
        "      - uses: ./.github/actions/local\n"
    )
    assert pin_problems(bad) == [
        "actions/checkout@v5: not pinned to a full 40-hex commit SHA",
        "actions/checkout@main: not pinned to a full 40-hex commit SHA",
        "actions/checkout@93cb6ef: not pinned to a full 40-hex commit SHA",
        f"actions/checkout@{sha}: its release tag is not in a comment (# vX.Y.Z)",
    ]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_expression_is_spliced_into_a_script(path: Path) -> None:
    # `${{ }}` in `run:` is pasted into the shell before it runs: a branch name or title injects
    # commands. Values reach scripts through `env:` instead.
    for name, job in _jobs(path).items():
        for step in job.get("steps", []):
            assert "${{" not in str(step.get("run", "")), f"{path.name}: job {name}: expression inside run:"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_workflow_runs_pull_request_code_with_the_base_repositorys_privileges(path: Path) -> None:
    doc = _load(path)
    assert "pull_request_target" not in path.read_text() and "workflow_run" not in path.read_text()
    assert doc["permissions"] == {"contents": "read"}, "least privilege by default; jobs ask for more"
    for name, job in _jobs(path).items():
        for step in _uses(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, f"{path.name}: {name} leaves the token in .git"


def _secret_users(job: dict[str, Any]) -> list[str]:
    """Where a job reads a secret: `job.env`, or the names of its steps that do."""
    found = ["job.env"] if "secrets." in yaml.safe_dump(job.get("env", {})) else []
    found += [s.get("name") or s["uses"] for s in _steps(job) if "secrets." in yaml.safe_dump(s)]
    return found


def secret_problems(jobs: dict[str, dict[str, Any]]) -> list[str]:
    """Jobs that read a secret outside an environment, or give it to every step."""
    problems = []
    for name, job in jobs.items():
        users = _secret_users(job)
        if users and not job.get("environment"):
            problems.append(f"{name}: reads a secret outside any environment")
        if "job.env" in users:
            problems.append(f"{name}: gives a secret to every step")
    return problems


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_a_job_reads_a_secret_only_behind_an_environment(path: Path) -> None:
    # An environment's secret is released only once its protection rules pass (required reviewers,
    # deployment branches); a repository secret reaches any job, even one a branch adds to a workflow.
    assert secret_problems(_jobs(path)) == []


def test_secret_check_flags_the_old_preview_job() -> None:
    # The preview job as it was: the token job-wide, no environment, for any same-repository branch.
    old = {"env": {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}, "steps": [{"run": "pulumi preview"}]}
    assert secret_problems({"preview": old}) == [
        "preview: reads a secret outside any environment",
        "preview: gives a secret to every step",
    ]
    step_only = {"steps": [{"uses": "pulumi/actions@x", "env": {"T": "${{ secrets.T }}"}}]}
    assert secret_problems({"p": step_only}) == ["p: reads a secret outside any environment"]
    assert secret_problems({"p": {**step_only, "environment": "preview-prod"}}) == []


def test_every_install_is_from_a_hashed_lock() -> None:
    for path in ALL:
        runs = [str(s.get("run", "")) for job in _jobs(path).values() for s in _steps(job)]
        installs = [line for run in runs for line in run.splitlines() if "pip install" in line]
        assert installs, path.name
        for line in installs:
            for command in line.split("&&"):
                if "pip install" in command:
                    assert re.search(r"pip install --require-hashes -r [\w/.-]+\.lock\s*$", command.strip()), (
                        f"{path.name}: {command.strip()!r} does not install from a lock"
                    )
        for job in _jobs(path).values():
            for step in _uses(job, "actions/setup-python"):
                assert ".lock" in step["with"]["cache-dependency-path"], "the pip cache keys on the lock"


# --- the pull-request workflow ------------------------------------------------------------------------


def _stacks_job(path: Path) -> dict[str, Any]:
    stacks = _jobs(path)["stacks"]
    (listing,) = [s for s in _steps(stacks) if "run" in s]
    assert 'matrix="$(python3 -m replication.stacks)"' in listing["run"], "the matrix is every Pulumi.<stack>.yaml"
    assert stacks["outputs"]["matrix"] == f"${{{{ steps.{listing['id']}.outputs.matrix }}}}"
    return stacks


def test_pull_request_review_job_has_no_secret_and_no_write_token() -> None:
    doc = _load(PULL_REQUEST)
    assert set(doc["on"]) == {"pull_request"}
    review = doc["jobs"]["review"]
    text = yaml.safe_dump(review)
    assert "secrets." not in text and "github.token" not in text
    assert review["permissions"] == {"contents": "read"}, "it runs the pull request's code"
    runs = "\n".join(str(s.get("run", "")) for s in _steps(review))
    assert "python -m pip install --require-hashes -r requirements-dev.lock" in runs
    assert "python -m pytest" in runs
    assert "python -m replication diff" in runs and "--format markdown" in runs and "--fail-on-data-loss" in runs
    assert "```" not in runs, "the diff's markdown is pasted as printed, errors included: no hand-made fence"
    checkout = _uses(review, "actions/checkout")[0]
    assert checkout["with"]["fetch-depth"] == 0, "the diff needs the base commit"
    # Forks get the report too: job summary and artifact.
    assert "GITHUB_STEP_SUMMARY" in runs
    assert _uses(review, "actions/upload-artifact")[0]["with"] == {"name": "replication-diff",
                                                                  "path": "diff.md\nfull.md\n"}
    # The comment's share of GitHub's limit is the markdown's own default.
    assert f"limit=$(( {markdown.COMMENT_LIMIT} / " in runs
    names = [s.get("name") or s.get("uses") for s in _steps(review)]
    upload = next(i for i, s in enumerate(_steps(review)) if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert names.index("Fail on errors or data loss") > upload, "the report is kept before the job fails"
    assert review["needs"] == "stacks"
    _stacks_job(PULL_REQUEST)


def test_pull_request_comment_job_runs_no_pull_request_code() -> None:
    comment = _load(PULL_REQUEST)["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert [s["uses"].split("@")[0] for s in _steps(comment)] == [
        "actions/download-artifact",
        "marocchino/sticky-pull-request-comment",
    ], "no checkout, no run: nothing of the pull request executes where the token can write"
    (download,) = _uses(comment, "actions/download-artifact")
    assert download["with"] == {"name": "replication-diff"}
    (sticky,) = _uses(comment, "marocchino/sticky-pull-request-comment")
    assert sticky["with"] == {"header": "replication-diff", "path": "diff.md"}
    assert comment["needs"] == "review"
    condition = " ".join(comment["if"].split())
    assert "!cancelled()" in condition and "needs.review.outputs.diff == 'written'" in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition


def test_pull_request_preview_runs_only_behind_a_reviewed_environment() -> None:
    preview = _load(PULL_REQUEST)["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    # Not the deploy environments (main only): one per stack whose required reviewers approve the run.
    assert preview["environment"] == {"name": "preview-${{ matrix.stack }}"}
    assert preview["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    assert preview["needs"] == "stacks"
    (action,) = _uses(preview, "pulumi/actions")
    assert _secret_users(preview) == ["Check for the Pulumi token", action["uses"]], "never job-wide"
    assert action["env"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    assert action["with"]["command"] == "preview"
    assert action["with"]["comment-on-pr"] is True
    assert action["with"]["policyPacks"] == "policy"
    assert action["with"]["policyPackConfigs"] == "${{ matrix.policy-config }}"
    assert action["if"] == "steps.token.outputs.available == 'true'"


# The review's diff step, run for real: a fake `python` plays `diff` with a given exit code.
FAKE_PYTHON = """#!{python}
import json, os, runpy, sys
args = sys.argv[1:]
if args[:2] == ["-m", "replication.acceptance"]:  # the real parser of the PR description
    sys.argv = ["acceptance", *args[2:]]
    runpy.run_module("replication.acceptance", run_name="__main__")
stack = args[args.index("--stack") + 1]
accepted = [a for a in args if a.startswith("--accept")]
assert accepted == json.loads(os.environ["ACCEPTED"]).get(stack, []), accepted
out, code = json.loads(os.environ["FAKE_DIFF"])[stack]
sys.stdout.write(out)
assert args[args.index("--comment-limit") + 1] == os.environ["LIMIT"], args
if out and code in (0, 1):  # as `diff` does: the whole report, besides the shortened one on stdout
    with open(args[args.index("--full-report") + 1], "w") as full:
        full.write("FULL " + out)
sys.stderr.write("stderr of " + stack + "\\n")
sys.exit(code)
"""
FAKE_JQ = """#!{python}
import json, sys
assert sys.argv[1:] == ["-r", ".include[].stack"], sys.argv
print("\\n".join(i["stack"] for i in json.load(sys.stdin)["include"]))
"""


def _run_diff_step(
    tmp_path: Path, results: dict[str, tuple[str, int]], body: str = "", accepted: dict[str, list[str]] | None = None
) -> tuple[str, dict[str, str]]:
    review = _load(PULL_REQUEST)["jobs"]["review"]
    (step,) = [s for s in _steps(review) if s.get("id") == "diff"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, fake in (("python", FAKE_PYTHON), ("jq", FAKE_JQ)):
        (bin_dir / name).write_text(fake.format(python=sys.executable))
        (bin_dir / name).chmod(0o755)
    (tmp_path / "script.sh").write_text(step["run"])
    matrix = {"include": [{"stack": s, "policy-config": ""} for s in results]}
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "BASE_SHA": "0" * 40,
        "MATRIX": json.dumps(matrix),
        "FAKE_DIFF": json.dumps(results),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "LIMIT": str(markdown.COMMENT_LIMIT // len(results)),
        "PYTHONPATH": str(ROOT),
        "PR_BODY": body,
        "ACCEPTED": json.dumps(accepted or {}),
    }
    # As GitHub runs `shell: bash`.
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "script.sh")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    report = (tmp_path / "diff.md").read_text()
    # The summary and the artifact's full.md: each stack's full report, else its section as printed.
    expected = "".join(
        ("FULL " + out if out and code in (0, 1) else out or _no_report(stack, code)) + "\n"
        for stack, (out, code) in results.items()
    )
    assert (tmp_path / "full.md").read_text() == expected
    assert (tmp_path / "summary").read_text() == expected
    return report, outputs


def _no_report(stack: str, code: int) -> str:
    return f"## Replication diff: `{stack}`\n\nNo report (exit {code}): see the job log.\n"


def test_diff_step_pastes_stdout_whatever_the_exit_code(tmp_path: Path) -> None:
    report, outputs = _run_diff_step(
        tmp_path,
        {
            "dev": ("## Replication diff: `dev`\n\nNo changes.\n", 0),
            "prod": ("## Replication diff: `prod`\n\n**data-loss** ...\n", 1),
            "staging": ("## Replication diff: `staging`\n\nerror: `x`: invalid\n", 2),
        },
    )
    assert report == (
        "## Replication diff: `dev`\n\nNo changes.\n\n"
        "## Replication diff: `prod`\n\n**data-loss** ...\n\n"
        "## Replication diff: `staging`\n\nerror: `x`: invalid\n\n"
    )
    assert "stderr of" not in report, "stderr stays in the job log"
    assert outputs == {"diff": "written", "findings": "prod", "errors": "staging"}


def test_diff_step_counts_any_other_exit_as_an_error_and_notes_a_silent_failure(tmp_path: Path) -> None:
    report, outputs = _run_diff_step(tmp_path, {"dev": ("", 2), "prod": ("", 1), "qa": ("## ok\n", 0), "x": ("", 139)})
    assert report == (
        "## Replication diff: `dev`\n\nNo report (exit 2): see the job log.\n\n"
        "## Replication diff: `prod`\n\nNo report (exit 1): see the job log.\n\n"
        "## ok\n\n"
        "## Replication diff: `x`\n\nNo report (exit 139): see the job log.\n\n"
    )
    assert outputs == {"diff": "written", "findings": "prod", "errors": "dev x"}


def test_diff_step_all_clear(tmp_path: Path) -> None:
    _, outputs = _run_diff_step(tmp_path, {"dev": ("## a\n", 0), "prod": ("## b\n", 0)})
    assert outputs == {"diff": "written", "findings": "", "errors": ""}


def test_diff_step_posts_a_short_verdict_when_the_sections_pass_a_comment(tmp_path: Path) -> None:
    # 50 stacks whose sections cannot shrink below 1,400 bytes: 70,000 bytes would not post.
    results = {f"s{i:02}": (f"## Replication diff: `s{i:02}`\n\n" + "c" * 1400 + "\n", 1 if i == 7 else 0) for i in range(50)}
    results["s09"] = (results["s09"][0], 2)
    report, outputs = _run_diff_step(tmp_path, results)
    assert report == (
        "## Replication diff\n\nThe report of 50 stacks is too long for a PR comment: read the job summary or the "
        "`replication-diff` artifact.\n\n- stacks with findings: s07\n- stacks that could not be judged: s09\n"
    )
    assert outputs == {"diff": "written", "findings": "s07", "errors": "s09"}


def test_diff_step_reports_an_acceptance_for_a_stack_it_does_not_judge(tmp_path: Path) -> None:
    body = "accept-finding: prdo/topic-lost/source-topic-topic-a\n"  # a typo in the stack's name
    report, outputs = _run_diff_step(tmp_path, {"dev": ("## a\n", 0), "prod": ("## b\n", 0)}, body)
    assert report.startswith(
        "## Replication diff: acceptances\n\nAn `accept-finding:` line of the description names no stack of this "
        "review: see the job log.\n\n## a\n"
    )
    assert outputs == {"diff": "written", "findings": "", "errors": "accept-finding"}


# --- the deploy workflow --------------------------------------------------------------------------------


def test_deploy_workflow_runs_up_per_stack_behind_an_environment() -> None:
    doc = _load(DEPLOY)
    assert doc["on"]["push"]["branches"] == ["main"]
    _stacks_job(DEPLOY)
    up = doc["jobs"]["up"]
    for job in (up, doc["jobs"]["stacks"]):
        assert job["if"] == "github.ref == 'refs/heads/main'", "manual runs must not deploy other branches"
    assert up["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    assert up["strategy"]["max-parallel"] == 1 and up["strategy"]["fail-fast"] is True
    assert up["environment"]["name"] == "${{ matrix.stack }}"
    assert up["concurrency"]["cancel-in-progress"] is False
    (action,) = _uses(up, "pulumi/actions")
    assert action["with"]["command"] == "up"
    assert action["with"]["stack-name"] == "${{ matrix.stack }}"
    assert action["with"]["policyPacks"] == "policy"
    assert action["with"]["policyPackConfigs"] == "${{ matrix.policy-config }}"
    runs = "\n".join(str(s.get("run", "")) for s in _steps(up))
    assert '.venv/bin/python -m replication plan --stack "$STACK"' in runs, "an offline check before up"


def test_diff_step_passes_each_stacks_accepted_findings_from_the_description(tmp_path: Path) -> None:
    review = _load(PULL_REQUEST)["jobs"]["review"]
    (step,) = [s for s in _steps(review) if s.get("id") == "diff"]
    assert step["env"]["PR_BODY"] == "${{ github.event.pull_request.body }}", "an env var, never in the script"
    body = (
        "Deleting topic-a on purpose.\r\n\r\n"
        "accept-finding: prod/topic-lost/source-topic-topic-a\r\n"
        "accept-finding: dev/version-needs-kraft/source-kafka\n"
        "accept-finding: prod/topic-lost/x; touch pwned\n"  # not an id: ignored, never run
        "accept-finding: $(touch pwned)\n"
        "  accept-finding: prod/replication-stops/source-to-target-flow  \n"
    )
    _, outputs = _run_diff_step(
        tmp_path, {"dev": ("## a\n", 0), "prod": ("## b\n", 1)}, body,
        {"dev": ["--accept=dev/version-needs-kraft/source-kafka"],
         "prod": ["--accept=prod/topic-lost/source-topic-topic-a", "--accept=prod/replication-stops/source-to-target-flow"]},
    )
    assert outputs == {"diff": "written", "findings": "prod", "errors": ""}
    assert not (tmp_path / "pwned").exists()
