"""`diff` of the dev stack against `plan` of it, as whole processes, in alternating pairs.

    python -m benchmarks.diff_speed [--pairs 5]

The usual pull request: a scratch git repository holds a copy of the project, and one commit on top
edits only the dev stack file (a topic added), so the base has the working tree's code and is
planned in process. Both commands run on that copy (`--dir`), from the repository root; their ratio
is taken pair by pair, the two alternating which goes first, and the median reported. Target: the
diff costs at most 1.3 times the plan.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3
#: What a checkout of the project holds that the plan needs.
PROJECT_FILES = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "replication")
#: The pull request: one more topic on the source cluster.
EDIT = (
    "        topic-a: {partitions: 3, replication: 2}\n",
    "        topic-a: {partitions: 3, replication: 2}\n        orders: {partitions: 6, replication: 2}\n",
)
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]


def copy_project(dest: Path, names: Sequence[str] = PROJECT_FILES) -> Path:
    """Copy these files and directories of the project to `dest` (created), without caches."""
    dest.mkdir(parents=True)
    for name in names:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def scratch_repo(into: Path) -> Path:
    """A git repository with the project as its first commit and a dev-stack edit as its second."""
    repo = copy_project(into / "repo")
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "base"], cwd=repo, check=True)
    stack = repo / "Pulumi.dev.yaml"
    text = stack.read_text()
    if text.count(EDIT[0]) != 1:
        raise SystemExit(f"benchmark edit not applicable: {EDIT[0]!r} is not once in Pulumi.dev.yaml")
    stack.write_text(text.replace(*EDIT))
    subprocess.run([*GIT, "commit", "-q", "-am", "a topic more"], cwd=repo, check=True)
    return repo


def commands(repo: Path) -> dict[str, list[str]]:
    """The two timed commands."""
    common = ["--stack", "dev", "--dir", str(repo), "--format", "json"]
    return {
        "plan": [sys.executable, "-m", "replication", "plan", *common],
        "diff": [sys.executable, "-m", "replication", "diff", *common, "--base", "HEAD~1"],
    }


def _wall(cmd: Sequence[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} failed:\n{proc.stderr[-3000:]}")
    return seconds


def measure(pairs: int, log: Any) -> tuple[list[float], list[float]]:
    """Wall times of `plan` and of `diff` on the scratch repository, alternating who goes first."""
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        cmds = commands(scratch_repo(Path(tmp)))
        _wall(cmds["diff"])  # warm the OS file cache once; neither side gets a cold start
        plans: list[float] = []
        diffs: list[float] = []
        for i in range(pairs):
            order = ("plan", "diff") if i % 2 == 0 else ("diff", "plan")
            for kind in order:
                (plans if kind == "plan" else diffs).append(_wall(cmds[kind]))
            print(f"  diff pair {i + 1}: plan {plans[-1]:.3f}s diff {diffs[-1]:.3f}s", file=log)
    return plans, diffs


def ratio(plans: Sequence[float], diffs: Sequence[float]) -> float:
    """The median of the pairs' diff/plan ratios."""
    return statistics.median(d / p for p, d in zip(plans, diffs, strict=True))


def summary(plans: Sequence[float], diffs: Sequence[float]) -> str:
    """One sentence for the report."""
    return (
        f"Dev-stack diff (`python -m replication diff --stack dev --base HEAD~1`, one stack-file edit): "
        f"{statistics.median(diffs):.3f} s; its plan: {statistics.median(plans):.3f} s; ratio "
        f"{ratio(plans, diffs):.2f}x (median of {len(plans)} pairs: "
        f"{', '.join(f'{d / p:.2f}' for p, d in zip(plans, diffs, strict=True))})."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the result; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diff_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="plan/diff pairs")
    args = parser.parse_args(argv)
    plans, diffs = measure(args.pairs, sys.stderr)
    ok = ratio(plans, diffs) <= TARGET
    print(summary(plans, diffs))
    print(f"Target diff ≤ {TARGET}x plan: {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
