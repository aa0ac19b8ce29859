"""Shared fixtures: the offline engine, with the provider contract enforced on every run."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from benchmarks.diff_speed import copy_project
from replication import engine
from tests.contract import contract

ROOT = Path(__file__).resolve().parent.parent
RunStack = Callable[..., engine.RunResult]

# No property may fail for being slow: Hypothesis's per-example deadline is a timing assertion, and a
# loaded CI machine trips it (speed belongs in benchmarks/). Tests' own settings still apply on top.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


@pytest.fixture(autouse=True)
def fresh_event_loop() -> Iterator[None]:
    """A fresh event loop per test, as in Pulumi's own SDK tests."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()
    asyncio.set_event_loop(None)


PROJECT_FILES = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "replication", "policy", "examples")
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo holding a copy of the project, its first commit being the base (for `diff` tests)."""
    return project_repo(tmp_path / "repo")


def project_repo(dest: Path) -> Path:
    """Make `dest` a git repo holding a copy of the project, committed once."""
    dest = copy_project(dest, PROJECT_FILES)
    git(dest, "init", "-q")
    git(dest, "add", ".")
    git(dest, "commit", "-q", "-m", "base")
    return dest


def run_checked(stack: str = "dev", *, program_dir: Path = ROOT, stack_file: Path | None = None, **overrides: Any) -> engine.RunResult:
    """Run the program offline and fail unless every Aiven resource satisfies the provider contract."""
    result = engine.run_program(stack, program_dir, stack_file=stack_file, config_overrides=overrides)
    violations = contract().check(result.resources)
    assert not violations, "provider contract violations:\n" + "\n".join(violations)
    return result


@pytest.fixture
def run_stack() -> RunStack:
    """`run_stack(stack, **config_overrides)`: run the real program under mocks, contract-checked."""
    return run_checked
