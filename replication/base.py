"""The base side of `diff`: find the stack file's base version, and plan it with the right code.

The stack file's base version is read in its own git repository at the base ref (it may live in
a config-only repository, apart from the program), or taken from `--base-config`. No base version
is an error, never an empty diff; a file absent at a ref that exists is a new stack.

The base is planned by the base's own program code. When that code is the working tree's (the
usual pull request changes stack files only), the base is planned in this process by the working
tree's engine; otherwise the ref's tree is exported with `git archive` and planned there in a
subprocess. The code is everything in the project directory except the paths in
:data:`NOT_CODE`, compared by git between the ref and the working tree (uncommitted and untracked
files included). When the stack file is versioned apart from the program (another repository, or
`--base-config` without `--base`), there is no base code to find: both sides use the working tree's.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from replication import engine, escape, plandoc, stack_limits, stackfile

Planner = Literal["reused", "in-process", "subprocess"]

#: Project paths that the plan never reads: stack files (the one diffed is compared apart), docs,
#: tests, benchmarks, CI. A change anywhere else is a change of the program's code.
NOT_CODE: dict[str, tuple[str, ...]] = {
    "top-level directories": ("examples", "tests", "docs", "benchmarks", ".github"),
    "file names": ("Pulumi.*.yaml", "Pulumi.*.yml", "*.md"),
}


def not_code_text() -> str:
    """:data:`NOT_CODE` in words, for docs/pr-review.md (a test keeps it there)."""
    dirs = ", ".join(f"`{d}/`" for d in NOT_CODE["top-level directories"])
    names = ", ".join(f"`{n}`" for n in NOT_CODE["file names"])
    return f"all but {names} files and {dirs}"


class BaseError(Exception):
    """No base can be planned: no base version of the stack file, a ref that does not resolve, a
    base config that fails to plan."""


@dataclass(frozen=True)
class BaseConfig:
    """The stack file's base version."""

    text: str | None
    """Its content; None when the file does not exist at the ref (a new stack)."""
    origin: str
    """Where it was read, for messages: `Pulumi.dev.yaml at origin/main in /repo`."""


@dataclass(frozen=True)
class Base:
    """The base side of a diff."""

    config: BaseConfig
    document: dict[str, Any] | None
    """The base's plan document (:func:`plandoc.plan_document`); None for a new stack."""
    planner: Planner
    """How it was planned: `reused` (same code and config as the working tree: the working tree's
    plan), `in-process` (same code, the working tree's engine) or `subprocess` (the ref's code)."""
    code: str
    """Whose code planned it, in one phrase."""

    def describe(self) -> str:
        """One line for the log: where the base came from and how it was planned."""
        if self.document is None:
            return f"base: {self.config.origin}: absent, a new stack (everything is created)"
        how = {
            "reused": "the same as the working tree's",
            "in-process": "planned in process",
            "subprocess": "planned in a subprocess",
        }[self.planner]
        return f"base: {self.config.origin}, {how}, with {self.code}"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def repository(path: Path) -> Path | None:
    """The top level of the git work tree holding `path` (a directory), or None."""
    if not path.is_dir():
        return None
    proc = _git(path, "rev-parse", "--show-toplevel")
    return Path(proc.stdout.strip()).resolve() if proc.returncode == 0 else None


def resolve_commit(top: Path, ref: str) -> str:
    """The commit `ref` names in the repository `top`."""
    proc = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        raise BaseError(f"base ref {ref!r} does not resolve to a commit in the git repository {top}")
    return proc.stdout.strip()


def checked_text(data: bytes, name: str) -> str:
    """The base stack file's bytes as text, once they pass the head's safe loader and its limits
    (:mod:`replication.stackfile`) and the limits on what a stack may declare
    (:mod:`replication.stack_limits`), whichever code plans it. `name` names it in the one line
    per problem: file, line, column."""
    try:
        document = stackfile.parse(data, name)
    except stackfile.StackFileError as err:
        raise BaseError(str(err)) from None
    values = document.get("config") if isinstance(document, dict) else None
    if isinstance(values, dict):
        ours = {k.rpartition(":")[2]: v for k, v in values.items()
                if k.startswith(f"{stack_limits.NAMESPACE}:") or ":" not in k}
        issues = stack_limits.check(ours)
        if issues:
            raise BaseError("\n".join(f"{name}: {issue}" for issue in issues))
    return data.decode("utf-8-sig")


def config_at(ref: str, stack_file: Path, top: Path | None) -> BaseConfig:
    """The stack file's content at `ref` in its repository `top` (None when absent there)."""
    if top is None:
        raise BaseError(
            f"no base version of {stack_file}: it is not in a git repository; "
            "pass its base version with --base-config FILE"
        )
    commit = resolve_commit(top, ref)
    relative = stack_file.resolve().relative_to(top).as_posix()
    origin = f"{relative} at {ref} in {top}"
    name = stackfile.safe_name(f"{stack_file.name} at {ref}")
    size = _git(top, "cat-file", "-s", f"{commit}:{relative}")
    if size.returncode != 0:
        exists = _git(top, "cat-file", "-e", f"{commit}:{relative}")
        if exists.returncode == 0:  # present but unreadable: never mistake it for a new stack
            raise BaseError(f"cannot read {origin}: {size.stderr.strip()}")
        return BaseConfig(None, origin)
    if int(size.stdout) > stackfile.MAX_BYTES:  # refused before git hands it over
        raise BaseError(f"{name}:1:1: {stackfile.too_large(int(size.stdout))}")
    blob = ["git", "cat-file", "blob", f"{commit}:{relative}"]
    proc = subprocess.run(blob, cwd=top, capture_output=True, check=False)
    if proc.returncode != 0:
        raise BaseError(f"cannot read {origin}: {proc.stderr.decode(errors='replace').strip()}")
    return BaseConfig(checked_text(proc.stdout, name), origin)


def config_file(path: Path) -> BaseConfig:
    """A base version given as a file (`--base-config`)."""
    try:
        with path.open("rb") as f:
            data = f.read(stackfile.MAX_BYTES + 1)  # no further: /dev/zero ends here
    except OSError as err:
        raise BaseError(f"--base-config {path}: cannot read it: {err.strerror or err}") from None
    return BaseConfig(checked_text(data, stackfile.safe_name(path.name)), f"{path} (--base-config)")


def is_code(relative: str) -> bool:
    """Whether a path of the project (relative to the project directory) is program code."""
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] in NOT_CODE["top-level directories"]:
        return False
    return not any(fnmatch.fnmatchcase(parts[-1], p) for p in NOT_CODE["file names"])


def code_changes(top: Path, commit: str, project_dir: Path) -> list[str]:
    """Code paths of the project that differ between `commit` and the working tree: committed,
    staged, unstaged and untracked (not ignored) changes alike. Paths relative to the project."""
    project = project_dir.resolve()
    pathspec = project.relative_to(top).as_posix()
    changed = _git(top, "diff", "--name-only", "--no-renames", "-z", commit, "--", pathspec)
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z", "--", pathspec)
    for proc in (changed, untracked):
        if proc.returncode != 0:
            raise BaseError(f"cannot compare the program code with {commit}: {proc.stderr.strip()}")
    paths = {p for proc in (changed, untracked) for p in proc.stdout.split("\0") if p}
    relative = sorted((top / p).relative_to(project).as_posix() for p in paths)
    return [p for p in relative if is_code(p)]


def _failed(stack: str, label: str, message: str) -> BaseError:
    """This process's own errors (safe lines, one per issue), each saying it is the base's."""
    lines = [line.removeprefix("error: ") for line in message.strip().splitlines()]
    return BaseError("\n".join(f"the base of {stack} ({label}) fails to plan: {line}" for line in lines))


#: Key names whose values may be secrets, masked in what the base's own code says.
_SECRET_KEY_WORDS = ("pass", "secret", "key", "token", "credential", "cert", "secure", "user")


def _base_values(text: str) -> set[str]:
    """The values of the base stack file that a line from other code must not repeat: every value
    under `credentials` or a key whose name suggests a secret, and every long value."""
    found: set[str] = set()

    def walk(value: object, secretish: bool) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, secretish or any(w in str(k).lower() for w in _SECRET_KEY_WORDS))
        elif isinstance(value, list):
            for v in value:
                walk(v, secretish)
        elif value is not None and (secretish or len(str(value)) >= 24) and len(str(value)) >= 3:
            found.add(str(value))

    walk(stackfile.parse(text.encode()), False)
    return found


def _subprocess_failed(stack: str, label: str, code: int, stderr: str, text: str) -> BaseError:
    """One line for a base that the ref's own code failed to plan. Its stderr is not ours: older code
    may print a traceback or echo a value it should not, and this line reaches PR comments. So at
    most its last line is kept, and only when it is not from a traceback, with every value of the
    base stack file that may be a secret masked, escaped for one line and cut short."""
    head = f"the base of {stack} ({label}) fails to plan with its own code (exit {code})"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines or "Traceback (most recent call last)" in stderr:
        return BaseError(f"{head}; it crashed, its output is not shown: run its plan at {label} to see why")
    last = lines[-1].strip().removeprefix("error: ")
    for value in sorted(_base_values(text), key=len, reverse=True):
        last = last.replace(value, "[secret]")
    last = escape.line(last if len(last) <= 300 else last[:300] + "...")
    return BaseError(f"{head}: {last}")


def plan_in_process(stack: str, project_dir: Path, name: str, text: str, label: str) -> dict[str, Any]:
    """Plan `text` as stack file `name` with this process's engine and the project's code."""
    with tempfile.TemporaryDirectory(prefix="replication-base-") as tmp:
        path = Path(tmp) / name
        path.write_text(text)
        try:
            return plandoc.plan_document(engine.run_program(stack, project_dir, stack_file=path))
        except engine.ProgramError as err:
            raise _failed(stack, label, str(err)) from None


def export_tree(top: Path, commit: str, into: Path) -> Path:
    """Write the tree of `commit` under `into` with `git archive`; returns its root."""
    archive = into / "tree.tar"
    with archive.open("wb") as out:
        proc = subprocess.run(
            ["git", "archive", "--format=tar", commit], cwd=top, stdout=out, stderr=subprocess.PIPE, check=False
        )
    if proc.returncode != 0:
        raise BaseError(f"git archive {commit}: {proc.stderr.decode(errors='replace').strip()}")
    tree = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    archive.unlink()
    return tree


def plan_in_subprocess(
    stack: str, project_dir: Path, top: Path, commit: str, name: str, text: str, label: str
) -> dict[str, Any]:
    """Plan `text` as stack file `name` with the code of `commit`, exported, in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="replication-base-") as tmp:
        tree = export_tree(top, commit, Path(tmp)) / project_dir.resolve().relative_to(top)
        config = Path(tmp) / "config" / name
        config.parent.mkdir()
        config.write_text(text)
        command = [sys.executable, "-m", "replication", "plan", "--stack", stack, "--format", "json"]
        command += ["--dir", str(tree), "--config", str(config)]
        # PYTHONPATH and cwd make `replication` the ref's package, not the working tree's.
        # The base is compared, not judged: its policy errors must not stop the diff (cli.py).
        env = {**os.environ, "PYTHONPATH": str(tree), "REPLICATION_POLICY_ERRORS_AS_WARNINGS": "1"}
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise _subprocess_failed(stack, label, proc.returncode, proc.stderr, text)
    document: dict[str, Any] = json.loads(proc.stdout)
    problem = plandoc.version_problem(document)
    if problem is not None:
        raise BaseError(f"cannot compare with the base {label}: {problem}")
    return document


def plan_base(
    stack: str,
    project_dir: Path,
    stack_file: Path,
    head: tuple[str, dict[str, Any]],
    *,
    ref: str | None = None,
    base_config: Path | None = None,
) -> Base:
    """Find and plan the base of `stack`. `head` is the working tree's stack file content and plan
    document (reused when code and config are the same). `ref` names the base commit, `base_config`
    a file holding the base version of the stack file; at least one is needed."""
    if ref is None and base_config is None:
        raise BaseError("diff needs a base: --base REF, --base-config FILE, or both")
    top = repository(project_dir.resolve()) if ref is not None else None
    if base_config is not None:
        config = config_file(base_config)
        versioned_with_code = ref is not None
    else:
        assert ref is not None
        config_top = repository(stack_file.resolve().parent)
        config = config_at(ref, stack_file, config_top)
        versioned_with_code = config_top == top
    label = ref or str(base_config)
    if config.text is None:
        return Base(config, None, "reused", "nothing to plan")
    name = stack_file.name
    if ref is not None and versioned_with_code:
        if top is None:
            raise BaseError(f"--base {ref}: the project directory {project_dir} is not in a git repository")
        commit = resolve_commit(top, ref)
        changed = code_changes(top, commit, project_dir)
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            code = f"the code of {ref} (the working tree's differs: {shown})"
            return Base(
                config,
                plan_in_subprocess(stack, project_dir, top, commit, name, config.text, label),
                "subprocess",
                code,
            )
        code = f"the working tree's code (the same as {ref}'s)"
    elif ref is None:
        code = "the working tree's code (no --base ref names other code)"
    else:
        code = "the working tree's code (the stack file is versioned apart from the program)"
    if config.text == head[0]:
        return Base(config, head[1], "reused", code)
    return Base(config, plan_in_process(stack, project_dir, name, config.text, label), "in-process", code)
