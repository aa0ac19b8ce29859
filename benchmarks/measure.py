"""One measurement, meant to run in a fresh process: plan a stack with the real program or the floor.

    python -m benchmarks.measure program|floor --stack NAME [--stack-file FILE] [--waves]

Prints one JSON object: wall and CPU time of the run (Pulumi, the Aiven SDK and the engine are imported
before the clock starts; the program's own modules are not), peak RSS of the process, resource
counts, a digest of what was registered (type, name and inputs of every custom resource) and,
with `--waves`, the number of provisioning waves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi  # noqa: F401  (imported before the clock: the start-up floor is measured apart)
import pulumi_aiven  # noqa: F401

from replication import engine

FLOOR_DIR = Path(__file__).resolve().parent / "floor"
PROGRAM_DIRS = {"program": engine.PROJECT_ROOT, "floor": FLOOR_DIR}


def digest(result: engine.RunResult) -> str:
    """A hash of the custom resources' types, names and inputs, independent of registration order."""
    rows = sorted(
        json.dumps([r.type, r.name, r.inputs], sort_keys=True, default=repr) for r in result.resources if r.custom
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure(kind: str, stack: str, stack_file: Path | None, waves: bool) -> dict[str, Any]:
    """Run one plan and report what it cost."""
    before = _maxrss_kib()
    start, cpu_start = time.perf_counter(), time.process_time()
    result = engine.run_program(stack, PROGRAM_DIRS[kind], stack_file=stack_file)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    report: dict[str, Any] = {
        "kind": kind,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "resources": sum(r.custom for r in result.resources),
        "components": sum(not r.custom for r in result.resources),
        "rss_before_kib": before,
        "maxrss_kib": _maxrss_kib(),
        "digest": digest(result),
    }
    if waves:
        report["waves"] = max(result.waves().values(), default=0)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the measuring subprocess."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measure", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(PROGRAM_DIRS))
    parser.add_argument("--stack", required=True)
    parser.add_argument("--stack-file", type=Path)
    parser.add_argument("--waves", action="store_true", help="also count provisioning waves (after timing)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.kind, args.stack, args.stack_file, args.waves)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
