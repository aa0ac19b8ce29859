"""Run the benchmark: the real program against its flat floor, at growing sizes, and the targets.

    python -m benchmarks.run [--sizes 2x2,12x100,20x500] [--pairs 5] [--large-pairs 3] [--json FILE]

Every measurement runs in a fresh subprocess (`benchmarks.measure`), so runs share no state.
Program and floor alternate, pair by pair, and their ratio is taken per pair; the report gives the
median. 2x2 is the recipe itself (`Pulumi.dev.yaml`); other sizes are generated rings
(`benchmarks.generate`). The start-up floor is `python -c "import pulumi, pulumi_aiven"`, and
the recipe plan is the whole `python -m replication plan --stack dev` process. The dev stack's
`diff` is timed against its `plan` the same way (`benchmarks.diff_speed`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import diff_speed, generate

ROOT = Path(__file__).resolve().parent.parent
RECIPE = "2x2"
#: Sizes at or above this many resources get `--large-pairs` pairs, to keep the run short.
LARGE = 5_000
#: Timing noise tolerated before time per resource counts as growing.
GROWTH_TOLERANCE = 1.10


@dataclass
class Size:
    """One topology size and what was measured for it."""

    label: str
    stack: str
    stack_file: Path
    program: list[dict[str, Any]] = field(default_factory=list)
    floor: list[dict[str, Any]] = field(default_factory=list)

    @property
    def resources(self) -> int:
        return int(self.program[0]["resources"])

    def ratios(self, key: str = "seconds") -> list[float]:
        """Program over floor, pair by pair: wall time, or `cpu_seconds`."""
        return [p[key] / f[key] for p, f in zip(self.program, self.floor, strict=True)]

    def median(self, kind: str, key: str = "seconds") -> float:
        return statistics.median(float(m[key]) for m in getattr(self, kind))

    @property
    def waves(self) -> int:
        return int(self.program[0]["waves"])


def parse_size(text: str) -> tuple[int, int]:
    """`NxT` → (clusters, topics per cluster)."""
    clusters, _, topics = text.partition("x")
    return int(clusters), int(topics)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "pulumi": metadata.version("pulumi"),
        "pulumi-aiven": metadata.version("pulumi-aiven"),
        "platform": platform.platform(),
    }


def _wall(cmd: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _measure(kind: str, size: Size, waves: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.measure", kind, "--stack", size.stack]
    cmd += ["--stack-file", str(size.stack_file)]
    out = subprocess.run([*cmd, *(["--waves"] if waves else [])], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{size.label}: {kind} run failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def run_pair(size: Size, i: int, log: Any) -> None:
    """Measure program and floor once each (alternating who goes first); check they register the same."""
    kinds = ("program", "floor") if i % 2 == 0 else ("floor", "program")
    for kind in kinds:
        getattr(size, kind).append(_measure(kind, size, waves=(i == 0 and kind == "program")))
    p, f = size.program[-1], size.floor[-1]
    if p["digest"] != f["digest"]:
        raise SystemExit(f"{size.label}: the floor registers different resources from the program")
    print(f"  {size.label} pair {i + 1}: program {p['seconds']:.3f}s floor {f['seconds']:.3f}s", file=log)


def startup(pairs: int, log: Any) -> tuple[list[float], list[float]]:
    """Wall times of the start-up floor and of the recipe plan, alternating."""
    floor_cmd = [sys.executable, "-c", "import pulumi, pulumi_aiven"]
    plan_cmd = [sys.executable, "-m", "replication", "plan", "--stack", "dev"]
    _wall(floor_cmd)  # warm the OS file cache once; neither side gets a cold start
    floors, plans = [], []
    for i in range(pairs):
        if i % 2 == 0:
            floors.append(_wall(floor_cmd))
            plans.append(_wall(plan_cmd))
        else:
            plans.append(_wall(plan_cmd))
            floors.append(_wall(floor_cmd))
        print(f"  start-up pair {i + 1}: import {floors[-1]:.3f}s recipe plan {plans[-1]:.3f}s", file=log)
    return floors, plans


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(
    sizes: list[Size],
    floors: list[float],
    plans: list[float],
    info: dict[str, str],
    diff_pairs: tuple[list[float], list[float]] | None = None,
) -> tuple[str, bool]:
    """The results as Markdown, and whether every target was met. `diff_pairs`: the dev stack's
    plan and diff times (:func:`diff_speed.measure`), if measured."""
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, pulumi {info['pulumi']}, "
        f"pulumi-aiven {info['pulumi-aiven']}; {info['platform']}.",
        "",
        "| topology | resources | waves | program (median) | floor (median) | program/floor (median of pairs) "
        "| CPU program/floor | ms/resource | resources/s | peak RSS program | peak RSS floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sizes:
        seconds = s.median("program")
        lines.append(
            f"| {s.label} | {s.resources:,} | {s.waves} | {seconds:.3f} s | {s.median('floor'):.3f} s "
            f"| {statistics.median(s.ratios()):.2f}x ({', '.join(f'{r:.2f}' for r in s.ratios())}) "
            f"| {statistics.median(s.ratios('cpu_seconds')):.2f}x "
            f"| {1000 * seconds / s.resources:.2f} | {s.resources / seconds:,.0f} "
            f"| {s.median('program', 'maxrss_kib') / 1024:.0f} MiB | {s.median('floor', 'maxrss_kib') / 1024:.0f} MiB |"
        )
    startup_ratio = statistics.median(p / f for p, f in zip(plans, floors, strict=True))
    lines += [
        "",
        f"Start-up floor (`python -c \"import pulumi, pulumi_aiven\"`): {statistics.median(floors):.3f} s; "
        f"recipe plan (`python -m replication plan --stack dev`): {statistics.median(plans):.3f} s; "
        f"ratio {startup_ratio:.2f}x (median of {len(plans)} pairs).",
        *(["", diff_speed.summary(*diff_pairs)] if diff_pairs else []),
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
    ]
    verdicts: list[bool] = []

    def target(name: str, measured: str, ok: bool) -> None:
        verdicts.append(ok)
        lines.append(f"| {name} | {measured} | {_verdict(ok)} |")

    by_label = {s.label: s for s in sizes}
    if "12x100" in by_label:
        ratio = statistics.median(by_label["12x100"].ratios())
        target("≤ 1.2x the flat floor at 12x100", f"{ratio:.2f}x", ratio <= 1.2)
    worst = max(s.waves for s in sizes)
    target("≤ 3 waves for every topology", f"at most {worst}", worst <= 3)
    mid = [s for s in sizes if 1_000 <= s.resources < LARGE]
    big = [s for s in sizes if s.resources >= LARGE]
    if mid and big:
        a, b = mid[-1], big[-1]
        per_a, per_b = a.median("program") / a.resources, b.median("program") / b.resources
        target(
            f"time per resource not growing from {a.resources:,} to {b.resources:,} (±{GROWTH_TOLERANCE - 1:.0%})",
            f"{1000 * per_a:.2f} → {1000 * per_b:.2f} ms ({per_b / per_a:.2f}x)",
            per_b <= per_a * GROWTH_TOLERANCE,
        )
    target("recipe plan ≤ 1.5x the start-up floor", f"{startup_ratio:.2f}x", startup_ratio <= 1.5)
    if diff_pairs:
        diff_ratio = diff_speed.ratio(*diff_pairs)
        target(f"dev-stack diff ≤ {diff_speed.TARGET}x its plan", f"{diff_ratio:.2f}x", diff_ratio <= diff_speed.TARGET)
    return "\n".join(lines) + "\n", all(verdicts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every size and print the report; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2x2,12x100,20x500", help="comma-separated NxT (2x2 is the recipe)")
    parser.add_argument("--pairs", type=int, default=5, help="program/floor pairs per size")
    parser.add_argument("--large-pairs", type=int, default=3, help=f"pairs for sizes of {LARGE:,}+ resources")
    parser.add_argument("--json", type=Path, help="also write every raw measurement here")
    args = parser.parse_args(argv)
    log = sys.stderr
    info = machine()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        sizes: list[Size] = []
        for label in args.sizes.split(","):
            if label == RECIPE:
                size = Size(label, "dev", ROOT / "Pulumi.dev.yaml")
            else:
                clusters, topics = parse_size(label)
                path = generate.write(generate.ring(clusters, topics), Path(tmp) / f"Pulumi.bench-{label}.yaml")
                size = Size(label, f"bench-{label}", path)
            print(f"{label}:", file=log)
            run_pair(size, 0, log)  # the first pair says how big it is
            for i in range(1, args.large_pairs if size.resources >= LARGE else args.pairs):
                run_pair(size, i, log)
            sizes.append(size)
    print("start-up:", file=log)
    floors, plans = startup(args.pairs, log)
    print("diff:", file=log)
    diff_pairs = diff_speed.measure(args.pairs, log)
    text, ok = report(sizes, floors, plans, info, diff_pairs)
    sys.stdout.write(text)
    if args.json:
        raw = {
            "machine": info,
            "sizes": {s.label: {"program": s.program, "floor": s.floor} for s in sizes},
            "startup": {"import": floors, "recipe_plan": plans},
            "diff": {"plan": diff_pairs[0], "diff": diff_pairs[1]},
        }
        args.json.write_text(json.dumps(raw, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
