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


def test_the_readme_names_what_is_not_code() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
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
