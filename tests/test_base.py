"""Where `diff` finds its base, and which code plans it (`replication/base.py`).

The base stack file is read in its own git repository at the ref (a config-only repository, or a
monorepo with stacks beside the project), or taken from `--base-config`; no base is exit 2. The
base is planned in process when the program code is the working tree's, by the ref's code in a
subprocess when it differs, and both give the same plan for the same code.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchmarks.diff_speed import copy_project
from replication import base as bases
from replication import cli, render
from replication import diff as diffs
from replication.engine import run_program
from tests.conftest import PROJECT_FILES, ROOT, git

DEV = (ROOT / "Pulumi.dev.yaml").read_text()
SOURCE_PLAN = "    source:\n      cloud: google-europe-west1\n      plan: business-4\n"
BIGGER = DEV.replace(SOURCE_PLAN, SOURCE_PLAN.replace("business-4", "business-8"))
assert BIGGER != DEV


def new_repo(path: Path, files: dict[str, str]) -> Path:
    """A git repository at `path` whose first commit holds `files`."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "init", "-q")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "base")
    return path


def commit_file(path: Path, text: str) -> None:
    path.write_text(text)
    git(path.parent, "add", path.name)
    git(path.parent, "commit", "-q", "-m", "change")


def diff(capsys: pytest.CaptureFixture[str], project: Path, *args: str, stack: str = "live") -> tuple[int, str, str]:
    code = cli.main(["diff", "--stack", stack, "--dir", str(project), "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, out, err


def actions(out: str) -> dict[str, tuple[str, list[tuple[str, Any, Any]]]]:
    return {
        c["name"]: (c["action"], [(i["path"], i["before"], i["after"]) for i in c["inputs"]])
        for c in json.loads(out)["changes"]
    }


PLAN_CHANGE = {"source-kafka": ("update", [("plan", "business-4", "business-8")])}


# --- any layout -------------------------------------------------------------------------------


def test_a_config_in_its_own_repository_is_diffed_against_its_own_base(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configs = new_repo(tmp_path / "configs", {"Pulumi.live.yaml": DEV})
    stack_file = configs / "Pulumi.live.yaml"
    # An uncommitted edit, against the config repository's HEAD.
    stack_file.write_text(BIGGER)
    code, out, err = diff(capsys, repo, "--base", "HEAD", "--config", str(stack_file), "--fail-on-data-loss")
    assert code == 0, err
    assert actions(out) == PLAN_CHANGE
    assert err == (
        f"base: Pulumi.live.yaml at HEAD in {configs.resolve()}, planned in process, "
        "with the working tree's code (the stack file is versioned apart from the program)\n"
    )
    # Committed: HEAD~1 resolves in the config repository, though the project's has no such commit.
    git(configs, "commit", "-q", "-am", "bigger")
    code, out, _ = diff(capsys, repo, "--base", "HEAD~1", "--config", str(stack_file))
    assert (code, actions(out)) == (0, PLAN_CHANGE)
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "rev-parse", "--verify", "HEAD~1^{commit}")


def test_an_unchanged_config_reuses_the_working_trees_plan(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configs = new_repo(tmp_path / "configs", {"Pulumi.live.yaml": DEV})
    code, out, err = diff(capsys, repo, "--base", "HEAD", "--config", str(configs / "Pulumi.live.yaml"))
    assert code == 0
    assert json.loads(out)["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "unchanged": 8}
    assert ", the same as the working tree's, with the working tree's code" in err


def test_a_monorepo_reads_stacks_beside_the_project_at_the_ref(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mono = tmp_path / "mono"
    copy_project(mono / "infra", PROJECT_FILES)
    new_repo(mono, {"stacks/Pulumi.live.yaml": DEV})
    stack_file = mono / "stacks" / "Pulumi.live.yaml"
    commit_file(stack_file, BIGGER)
    code, out, err = diff(capsys, mono / "infra", "--base", "HEAD~1", "--config", str(stack_file))
    assert (code, actions(out)) == (0, PLAN_CHANGE), err
    assert f"base: stacks/Pulumi.live.yaml at HEAD~1 in {mono.resolve()}, planned in process" in err
    assert "with the working tree's code (the same as HEAD~1's)" in err


def test_a_config_outside_any_repository_has_no_base(tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loose = tmp_path / "loose" / "Pulumi.live.yaml"
    loose.parent.mkdir()
    loose.write_text(DEV)
    code, out, err = diff(capsys, repo, "--base", "HEAD", "--config", str(loose))
    assert (code, out) == (2, "")
    assert err == (
        f"error: no base version of {loose}: it is not in a git repository; "
        "pass its base version with --base-config FILE\n"
    )


def test_a_ref_missing_in_the_configs_repository_exits_2(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configs = new_repo(tmp_path / "configs", {"Pulumi.live.yaml": DEV})
    code, out, err = diff(capsys, repo, "--base", "origin/main", "--config", str(configs / "Pulumi.live.yaml"))
    assert (code, out) == (2, "")
    assert err == f"error: base ref 'origin/main' does not resolve to a commit in the git repository {configs.resolve()}\n"


def test_a_config_absent_at_the_ref_is_a_new_stack(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configs = new_repo(tmp_path / "configs", {"README.md": "stacks\n"})
    commit_file(configs / "Pulumi.live.yaml", DEV)
    code, out, err = diff(capsys, repo, "--base", "HEAD~1", "--config", str(configs / "Pulumi.live.yaml"))
    assert code == 0
    doc = json.loads(out)
    assert doc["baseMissing"] is True
    assert doc["summary"] == {"create": 8, "update": 0, "replace": 0, "delete": 0, "unchanged": 0}
    assert err == f"base: Pulumi.live.yaml at HEAD~1 in {configs.resolve()}: absent, a new stack (everything is created)\n"


def test_base_config_gives_the_base_version(tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    old, new = tmp_path / "base" / "Pulumi.live.yaml", tmp_path / "head" / "Pulumi.live.yaml"
    old.write_text(DEV)
    new.write_text(BIGGER)
    code, out, err = diff(capsys, repo, "--base-config", str(old), "--config", str(new))
    assert (code, actions(out)) == (0, PLAN_CHANGE)
    assert json.loads(out)["base"] == str(old)
    assert err == f"base: {old} (--base-config), planned in process, with the working tree's code (no --base ref names other code)\n"
    # With --base too, the code is the project's at that ref.
    code, out, err = diff(capsys, repo, "--base-config", str(old), "--config", str(new), "--base", "HEAD")
    assert (code, actions(out)) == (0, PLAN_CHANGE)
    assert err.endswith("planned in process, with the working tree's code (the same as HEAD's)\n")
    code, out, err = diff(capsys, repo, "--base-config", str(tmp_path / "nowhere.yaml"), "--config", str(new))
    assert (code, out) == (2, "")
    assert err == f"error: --base-config {tmp_path / 'nowhere.yaml'}: cannot read it: No such file or directory\n"


def test_diff_without_a_base_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = diff(capsys, repo, stack="dev")
    assert (code, out, err) == (2, "", "error: diff needs a base: --base REF, --base-config FILE, or both\n")


# --- which code plans the base ------------------------------------------------------------------


def test_a_stack_file_change_is_planned_in_process(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_file(repo / "Pulumi.dev.yaml", BIGGER)
    code, out, err = diff(capsys, repo, "--base", "HEAD~1", stack="dev")
    assert (code, actions(out)) == (0, PLAN_CHANGE)
    assert err == (
        f"base: Pulumi.dev.yaml at HEAD~1 in {repo.resolve()}, planned in process, "
        "with the working tree's code (the same as HEAD~1's)\n"
    )


def test_a_code_change_plans_the_base_in_a_subprocess_with_the_same_result(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Uncommitted edits of code and config: the base is planned by HEAD's code, in a subprocess.
    with (repo / "replication" / "render.py").open("a") as f:
        f.write("\n# edited\n")
    (repo / "Pulumi.dev.yaml").write_text(BIGGER)
    code, out, err = diff(capsys, repo, "--base", "HEAD", stack="dev")
    assert (code, actions(out)) == (0, PLAN_CHANGE)
    assert err == (
        f"base: Pulumi.dev.yaml at HEAD in {repo.resolve()}, planned in a subprocess, "
        "with the code of HEAD (the working tree's differs: replication/render.py)\n"
    )
    # The same base planned in process (the code differs by a comment only) gives the same diff.
    in_process = bases.plan_in_process("dev", repo, "Pulumi.dev.yaml", DEV, "HEAD")
    head = render.plan_document(run_program("dev", repo))
    assert diffs.json_text(diffs.compare(in_process, head, base_ref="HEAD")) == out


def test_code_changes_cover_every_state_and_skip_what_the_plan_never_reads(repo: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD").strip()
    top = repo.resolve()
    assert bases.code_changes(top, commit, repo) == []
    for inert in ("README.md", "examples/new.yaml", "Pulumi.other.yaml", "tests/test_x.py", "docs/x.md"):
        (repo / inert).parent.mkdir(exist_ok=True)
        (repo / inert).write_text("x\n")
    (repo / "Pulumi.dev.yaml").write_text(BIGGER)
    assert bases.code_changes(top, commit, repo) == []
    (repo / "replication" / "extra.py").write_text("x = 1\n")  # untracked
    (repo / "Pulumi.yaml").write_text((repo / "Pulumi.yaml").read_text() + "\n")  # unstaged
    (repo / "replication" / "render.py").unlink()  # deleted
    (repo / "__main__.py").write_text("\n")
    git(repo, "add", "__main__.py")  # staged
    assert bases.code_changes(top, commit, repo) == [
        "Pulumi.yaml", "__main__.py", "replication/extra.py", "replication/render.py",
    ]
    # Ignored files are not the program's (caches, virtualenvs).
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "clean", "-qfd")
    (repo / ".gitignore").write_text("*.pyc\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore")
    (repo / "replication" / "cached.pyc").write_text("x")
    assert bases.code_changes(top, git(repo, "rev-parse", "HEAD").strip(), repo) == []


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("__main__.py", True), ("Pulumi.yaml", True), ("replication/diff.py", True), ("requirements.txt", True),
        ("policy/rules.py", True), ("schema/stack-config.schema.json", True), ("lib/Pulumi.yamlx", True),
        ("Pulumi.dev.yaml", False), ("stacks/Pulumi.prod.yml", False), ("README.md", False),
        ("replication/NOTES.md", False), ("examples/fan-in.yaml", False), ("tests/test_diff.py", False),
        ("benchmarks/run.py", False), (".github/workflows/pull-request.yml", False), ("docs/diff.md", False),
    ],
)
def test_what_counts_as_code(path: str, code: bool) -> None:
    assert bases.is_code(path) is code


def test_the_review_doc_names_what_is_not_code() -> None:
    readme = " ".join((ROOT / "docs" / "pr-review.md").read_text().split())
    assert f"the project's code ({bases.not_code_text()})" in readme


def test_a_project_outside_git_uses_its_own_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "program", PROJECT_FILES)  # e.g. a release unpacked, no .git
    configs = new_repo(tmp_path / "configs", {"Pulumi.live.yaml": DEV})
    stack_file = configs / "Pulumi.live.yaml"
    stack_file.write_text(BIGGER)
    code, out, err = diff(capsys, project, "--base", "HEAD", "--config", str(stack_file))
    assert (code, actions(out)) == (0, PLAN_CHANGE)
    assert err.endswith("with the working tree's code (the stack file is versioned apart from the program)\n")
    # --base with --base-config names the project's code at that ref: there is none to find.
    code, out, err = diff(capsys, project, "--base", "HEAD", "--base-config", str(ROOT / "Pulumi.dev.yaml"),
                          "--config", str(stack_file))
    assert (code, out) == (2, "")
    assert err == f"error: --base HEAD: the project directory {project} is not in a git repository\n"


# --- a hostile base stack file: the head's safe loader and limits ------------------------------


def markdown_diff(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["diff", "--stack", "dev", "--dir", str(project), "--format", "markdown", *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused_in_one_line(result: tuple[int, str, str], line: str) -> None:
    """Exit 2, the one line on stderr, and the same line in the markdown's error section on stdout."""
    code, out, err = result
    assert (code, err) == (2, f"error: {line}\n")
    assert "**The diff failed**" in out and f"\nerror: {line}\n" in out and "Traceback" not in out + err


def test_base_config_is_read_no_further_than_the_size_limit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = markdown_diff(capsys, repo, "--base-config", "/dev/zero")
    assert_refused_in_one_line(result, "zero:1:1: larger than 1 MiB (1,048,577 bytes or more)")


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (DEV.replace("my-aiven-project", "caf\xe9").encode("latin-1"), "5:39: bytes that are not UTF-8; save the file as UTF-8"),
        (b"\xff\xfe" + DEV.encode("utf-16-le"), "1:1: the file is UTF-16 or UTF-32 (byte-order mark); save it as UTF-8"),
        (DEV.encode() + b"x: *nowhere\n", f"{DEV.count(chr(10)) + 1}:4: YAML: found undefined alias"),
    ],
    ids=["latin-1", "utf-16", "yaml-error"],
)
def test_a_bad_base_gives_the_loaders_line_from_a_file_and_from_git(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, where: str
) -> None:
    old = tmp_path / "Pulumi.old.yaml"
    old.write_bytes(data)
    assert_refused_in_one_line(markdown_diff(capsys, repo, "--base-config", str(old)), f"Pulumi.old.yaml:{where}")
    # The same bytes committed: read from git at the ref, the working tree's file valid again.
    (repo / "Pulumi.dev.yaml").write_bytes(data)
    git(repo, "commit", "-q", "-am", "bad base")
    (repo / "Pulumi.dev.yaml").write_text(DEV)
    assert_refused_in_one_line(markdown_diff(capsys, repo, "--base", "HEAD"), f"Pulumi.dev.yaml at HEAD:{where}")


def test_a_base_too_large_at_the_ref_is_refused_before_git_hands_it_over(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo / "Pulumi.dev.yaml", DEV + "#" * 2_000_000 + "\n")
    (repo / "Pulumi.dev.yaml").write_text(DEV)
    size = len(DEV) + 2_000_001
    line = f"Pulumi.dev.yaml at HEAD:1:1: larger than 1 MiB ({size:,} bytes or more)"
    assert_refused_in_one_line(markdown_diff(capsys, repo, "--base", "HEAD"), line)


def test_a_base_over_the_stack_limits_is_refused_whichever_code_plans_it(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "Pulumi.old.yaml"
    flows = "".join("    - {source: source, target: target}\n" for _ in range(401))
    old.write_text(DEV.replace("  aiven-kafka-replication:flows:\n", "  aiven-kafka-replication:flows:\n" + flows, 1))
    line = ("Pulumi.old.yaml: aiven-kafka-replication:flows: 402 flows (a stack may declare at most 400; "
            "see docs/stack-files.md)")
    assert_refused_in_one_line(markdown_diff(capsys, repo, "--base-config", str(old)), line)


# --- a base planned by other code: what of its error reaches the PR comment ---------------------

SECRET = "v1:hunter2-ciphertext-that-must-not-show"
WITH_CREDENTIALS = DEV + f"  aiven-kafka-replication:credentials:\n    onprem-sasl: {{secure: {SECRET}}}\n"


def _ref_code_fails_with(repo: Path, main: str) -> None:
    """Commit ref code whose `python -m replication` runs `main`, then restore the working tree's."""
    entry = repo / "replication" / "__main__.py"
    ours = entry.read_text()
    entry.write_text(main)
    (repo / "Pulumi.dev.yaml").write_text(WITH_CREDENTIALS)
    git(repo, "commit", "-q", "-am", "older code")
    entry.write_text(ours)
    (repo / "Pulumi.dev.yaml").write_text(DEV)


def test_a_crash_of_the_bases_code_shows_none_of_its_output(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _ref_code_fails_with(repo, f"raise RuntimeError({SECRET!r})\n")
    code, out, err = markdown_diff(capsys, repo, "--base", "HEAD")
    line = ("the base of dev (HEAD) fails to plan with its own code (exit 1); it crashed, its output is not "
            "shown: run its plan at HEAD to see why")
    assert_refused_in_one_line((code, out, err), line)
    assert SECRET not in out + err and "RuntimeError" not in out + err


def test_an_error_of_the_bases_code_shows_its_last_line_masked_and_escaped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = (
        "import sys\n"
        "print('error: invalid stack config:', file=sys.stderr)\n"
        f"print('error: credentials.onprem-sasl: {SECRET} is not a name \\x1b[31m<b>', file=sys.stderr)\n"
        "sys.exit(2)\n"
    )
    _ref_code_fails_with(repo, main)
    code, out, err = markdown_diff(capsys, repo, "--base", "HEAD")
    line = ("the base of dev (HEAD) fails to plan with its own code (exit 2): credentials.onprem-sasl: [secret] "
            "is not a name \u241b[31m<b>")  # the escape character shown, not sent
    assert_refused_in_one_line((code, out, err), line)
    assert SECRET not in out + err and "invalid stack config" not in out + err
