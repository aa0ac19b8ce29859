"""The GitHub workflows: actionlint (with shellcheck on every `run:` script), and their safety rules.

The linters come from requirements-dev.txt as wheels that ship the binaries, so `.ci/run` lints the
workflows on every run. A missing linter fails the test: it never skips.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def test_pull_request_workflow_review_job_is_safe_for_forks() -> None:
    text = PULL_REQUEST.read_text()
    doc = _load(PULL_REQUEST)
    assert "pull_request_target" not in text, "never run PR code with a write token and secrets"
    assert set(doc["on"]) == {"pull_request"}
    assert doc["permissions"] == {"contents": "read"}
    review = doc["jobs"]["review"]
    assert "secrets." not in yaml.safe_dump(review), "the review job must work without any secret"
    runs = "\n".join(str(s.get("run", "")) for s in _steps(review))
    assert "python -m pytest" in runs
    assert "python -m replication diff" in runs and "--format markdown" in runs and "--fail-on-data-loss" in runs
    checkout = _uses(review, "actions/checkout")[0]
    assert checkout["with"]["fetch-depth"] == 0, "the diff needs the base commit"
    assert checkout["with"]["persist-credentials"] is False
    # One sticky comment, updated in place, only where the token can write (not for forks).
    (comment,) = _uses(review, "marocchino/sticky-pull-request-comment")
    assert comment["with"]["header"] and comment["with"]["path"] == "diff.md"
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    # Forks still get the diff: job summary and artifact.
    assert "GITHUB_STEP_SUMMARY" in runs
    assert _uses(review, "actions/upload-artifact")[0]["with"]["path"] == "diff.md"
    # The comment is posted before the job fails on data loss.
    names = [s.get("name") or s.get("uses") for s in _steps(review)]
    assert names.index("Fail on data loss") > names.index("Sticky PR comment")


def test_pull_request_workflow_previews_only_with_the_token() -> None:
    preview = _load(PULL_REQUEST)["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    (action,) = _uses(preview, "pulumi/actions")
    assert action["with"]["command"] == "preview"
    assert action["with"]["comment-on-pr"] is True
    assert action["if"] == "steps.token.outputs.available == 'true'"
    assert {i["stack"] for i in preview["strategy"]["matrix"]["include"]} == {"dev", "prod"}


def test_deploy_workflow_runs_up_per_stack_behind_an_environment() -> None:
    doc = _load(DEPLOY)
    assert doc["on"]["push"]["branches"] == ["main"]
    up = doc["jobs"]["up"]
    assert up["if"] == "github.ref == 'refs/heads/main'", "manual runs must not deploy other branches"
    stacks = [i["stack"] for i in up["strategy"]["matrix"]["include"]]
    assert stacks == ["dev", "prod"]
    assert up["strategy"]["max-parallel"] == 1 and up["strategy"]["fail-fast"] is True
    assert up["environment"]["name"] == "${{ matrix.stack }}"
    assert up["concurrency"]["cancel-in-progress"] is False
    (action,) = _uses(up, "pulumi/actions")
    assert action["with"]["command"] == "up"
    assert action["with"]["stack-name"] == "${{ matrix.stack }}"
    assert action["with"]["policyPacks"] == "policy"
    prod = next(i for i in up["strategy"]["matrix"]["include"] if i["stack"] == "prod")
    assert prod["policy-config"] == "policy/protected-stack.json"
    assert (ROOT / prod["policy-config"]).exists()
