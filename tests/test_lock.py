"""The hashed lock files: every human-edited requirement is locked, with hashes, and everything
installs from them (the README's two commands, `.ci/run`, the workflows).

`requirements.txt`, `requirements-dev.txt` and `policy/requirements.txt` are edited by hand;
`bash .ci/lock` regenerates `requirements.lock`, `requirements-dev.lock` and
`policy/requirements.lock` from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

REFRESH = "bash .ci/lock"
# Each human-edited file and the lock made from it.
LOCKS = {
    ROOT / "requirements.txt": ROOT / "requirements.lock",
    ROOT / "requirements-dev.txt": ROOT / "requirements-dev.lock",
    ROOT / "policy" / "requirements.txt": ROOT / "policy" / "requirements.lock",
}


@dataclass(frozen=True)
class Locked:
    version: str
    hashes: tuple[str, ...]


def _logical_lines(path: Path) -> list[str]:
    joined = re.sub(r"\\\n", " ", path.read_text())
    return [line.split(" #", 1)[0].strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def requirements(path: Path) -> list[Requirement]:
    """The requirements of a human-edited file, following `-r` includes."""
    found: list[Requirement] = []
    for line in _logical_lines(path):
        if line.startswith("-r "):
            found += requirements(path.parent / line.removeprefix("-r ").strip())
        else:
            found.append(Requirement(line))
    return found


def lock(path: Path) -> dict[str, Locked]:
    """A lock file's pins by canonical name."""
    out: dict[str, Locked] = {}
    for line in _logical_lines(path):
        spec, *options = line.split(" --hash=")
        requirement = Requirement(spec.strip())
        (pin,) = requirement.specifier
        assert pin.operator == "==", f"{path.name}: {spec} is not pinned"
        out[canonicalize_name(requirement.name)] = Locked(pin.version, tuple(o.strip() for o in options))
    return out


def missing(requirements_file: Path, lock_file: Path) -> list[str]:
    """Requirements the lock lacks, or locks at a version they do not allow."""
    pins = lock(lock_file)
    problems = []
    for req in requirements(requirements_file):
        locked = pins.get(canonicalize_name(req.name))
        if locked is None:
            problems.append(f"{req.name}: not in {lock_file.name}")
        elif not req.specifier.contains(locked.version, prereleases=True):
            problems.append(f"{req.name}: {lock_file.name} has {locked.version}, outside {req.specifier}")
    return problems


@pytest.mark.parametrize("source", list(LOCKS), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_requirement_is_locked(source: Path) -> None:
    assert missing(source, LOCKS[source]) == [], f"the lock is stale: {REFRESH}"


@pytest.mark.parametrize("lock_file", list(LOCKS.values()), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_pin_has_hashes_and_the_lock_says_how_to_refresh_it(lock_file: Path) -> None:
    pins = lock(lock_file)
    assert pins
    assert {name for name, p in pins.items() if not p.hashes or not all(h.startswith("sha256:") for h in p.hashes)} == set()
    assert f"#    {REFRESH}\n" in lock_file.read_text()


def test_missing_reports_an_unlocked_or_out_of_range_requirement(tmp_path: Path) -> None:
    # What a helper who adds a dependency without refreshing the lock sees.
    (tmp_path / "base.txt").write_text("pulumi==3.272.0\n")
    (tmp_path / "req.txt").write_text("-r base.txt\nmarkdown-it-py>=3\nPyYAML>=7 # comment\n")
    (tmp_path / "req.lock").write_text(
        "pulumi==3.272.0 \\\n    --hash=sha256:aa\npyyaml==6.0.4 \\\n    --hash=sha256:bb\n"
    )
    assert missing(tmp_path / "req.txt", tmp_path / "req.lock") == [
        "markdown-it-py: not in req.lock",
        "PyYAML: req.lock has 6.0.4, outside >=7",
    ]


def test_runtime_and_policy_locks_agree_with_the_dev_lock() -> None:
    # The tests run what the preview and the deploy install.
    dev = lock(ROOT / "requirements-dev.lock")
    for path in (ROOT / "requirements.lock", ROOT / "policy" / "requirements.lock"):
        assert {n: p.version for n, p in lock(path).items()} == {n: dev[n].version for n in lock(path)}, path.name


def test_pulumi_is_the_exact_version_the_engine_is_tested_with() -> None:
    (pulumi,) = [r for r in requirements(ROOT / "requirements.txt") if r.name == "pulumi"]
    (pin,) = pulumi.specifier
    assert pin.operator == "==", "the offline engine relies on SDK internals: pin pulumi exactly"
    for path in LOCKS.values():
        assert lock(path)["pulumi"].version == pin.version
    assert metadata.version("pulumi") == pin.version, f"this environment is not installed from the lock: {REFRESH} and reinstall"


# --- the README's two commands and .ci/run -------------------------------------------------------------

VENV = "python3 -m venv .venv && "


def readme_commands() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## The two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)


def test_the_readme_has_two_commands_that_make_their_own_virtualenv() -> None:
    # Where the system Python refuses global installs (PEP 668), they still work.
    plan, tests = readme_commands()
    assert plan == f"{VENV}.venv/bin/pip install --require-hashes -r requirements.lock && .venv/bin/python -m replication plan --stack dev"
    assert tests == f"{VENV}.venv/bin/pip install --require-hashes -r requirements-dev.lock && .venv/bin/python -m pytest"


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    _, tests = readme_commands()
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in lines
