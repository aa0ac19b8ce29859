"""The benchmark's inputs are sound: generated rings are valid stacks, and the floor is the same plan.

No timings here: the targets are reported by `python -m benchmarks.run`, not asserted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import diff_speed, generate, measure, run
from replication import cli, config
from replication.engine import RunResult
from tests.conftest import ROOT, RunStack


def ring_file(tmp_path: Path, clusters: int, topics: int, mirrormakers: int | None = None) -> Path:
    return generate.write(generate.ring(clusters, topics, mirrormakers), tmp_path / "Pulumi.bench.yaml")


def counts(result: RunResult) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in result.resources:
        if r.custom:
            kind = r.type.rsplit(":", 1)[-1]
            out[kind] = out.get(kind, 0) + 1
    return out


def test_generated_ring_is_a_valid_config() -> None:
    cfg = config.parse(generate.namespace(generate.ring(12, 100)))
    assert list(cfg.clusters) == [f"c{i:02d}" for i in range(12)]
    assert all(len(c.topics) == 100 for c in cfg.clusters.values())
    assert sorted(cfg.mirrormakers) == ["mm0", "mm1"]
    # Two-way ring: each cluster replicates to both neighbours, and the last closes the ring.
    pairs = {(f.source, f.target) for f in cfg.flows}
    assert len(cfg.flows) == len(pairs) == 24
    assert {("c11", "c00"), ("c00", "c11"), ("c00", "c01"), ("c01", "c00")} <= pairs
    assert all(f.replication_policy == "default" for f in cfg.flows)


def test_two_clusters_make_one_pair_not_two() -> None:
    assert generate.ring_pairs(2) == [(0, 1)]
    assert generate.ring_pairs(3) == [(0, 1), (1, 2), (2, 0)]
    with pytest.raises(ValueError, match="at least 2 clusters"):
        generate.ring_pairs(1)
    with pytest.raises(ValueError, match="mirrormakers"):
        generate.ring(3, 1, mirrormakers=4)


def test_tiny_ring_plans_in_three_waves(run_stack: RunStack, tmp_path: Path) -> None:
    result = run_stack("bench", stack_file=ring_file(tmp_path, 3, 2))  # the fixture checks the contract
    assert max(result.waves().values()) <= 3
    assert counts(result) == {
        "Kafka": 3,
        "KafkaTopic": 6,
        "KafkaMirrorMaker": 1,
        "ServiceIntegration": 3,
        "MirrorMakerReplicationFlow": 6,
    }
    # Only the source's own topics travel: the ring does not compound prefixes.
    assert "c1.c2.t0000" not in result.outputs["expectedTopics"]["c0"]
    assert {"t0000", "c1.t0000", "c2.t0000"} <= set(result.outputs["expectedTopics"]["c0"])


@pytest.mark.parametrize(
    ("stack", "make"),
    [
        ("dev", lambda tmp: ROOT / "Pulumi.dev.yaml"),
        ("bench", lambda tmp: ring_file(tmp, 4, 3, mirrormakers=2)),
    ],
    ids=["recipe", "ring-4x3"],
)
def test_floor_registers_what_the_program_registers(run_stack: RunStack, tmp_path: Path, stack: str, make: Any) -> None:
    stack_file = make(tmp_path)
    program = run_stack(stack, stack_file=stack_file)
    floor = run_stack(stack, stack_file=stack_file, program_dir=measure.FLOOR_DIR)
    assert not any(not r.custom for r in floor.resources), "the floor has no components"

    def rows(result: RunResult) -> list[tuple[str, str, dict[str, Any]]]:
        return sorted((r.type, r.name, dict(r.inputs)) for r in result.resources if r.custom)

    assert rows(floor) == rows(program)
    assert measure.digest(floor) == measure.digest(program)
    assert max(floor.waves().values()) == max(program.waves().values()) == 3


def test_digest_sees_a_changed_input(run_stack: RunStack, tmp_path: Path) -> None:
    stack_file = ring_file(tmp_path, 2, 1)
    base = run_stack("bench", stack_file=stack_file)
    doc = generate.ring(2, 1)
    doc["config"]["aiven-kafka-replication:clusters"]["c1"]["topics"]["t0000"]["partitions"] = 4
    changed = run_stack("bench", stack_file=generate.write(doc, tmp_path / "changed.yaml"))
    assert measure.digest(changed) != measure.digest(base)


def test_a_floor_that_differs_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(kind: str, size: run.Size, waves: bool) -> dict[str, Any]:
        return {"kind": kind, "seconds": 1.0, "resources": 1, "digest": kind, "maxrss_kib": 1, "waves": 3}

    monkeypatch.setattr(run, "_measure", fake)
    with pytest.raises(SystemExit, match="different resources"):
        run.run_pair(run.Size("2x2", "dev", ROOT / "Pulumi.dev.yaml"), 0, None)


def _size(label: str, resources: int, program: float, floor: float, waves: int = 3) -> run.Size:
    size = run.Size(label, "bench", Path("unused"))
    for kind, seconds in (("program", program), ("floor", floor)):
        getattr(size, kind).append(
            {"seconds": seconds, "cpu_seconds": seconds, "resources": resources, "maxrss_kib": 1024, "waves": waves}
        )
    return size


def test_report_misses_each_target_it_names() -> None:
    good = [_size("2x2", 8, 0.1, 0.1), _size("12x100", 1262, 2.2, 2.0), _size("20x500", 10121, 17.0, 16.0)]
    text, ok = run.report(good, [0.5], [0.6], run.machine())
    assert ok, text
    assert text.count("| PASS |") == 4

    slow = [_size("2x2", 8, 0.1, 0.1), _size("12x100", 1262, 2.6, 2.0), _size("20x500", 10121, 17.0, 16.0)]
    assert not run.report(slow, [0.5], [0.6], run.machine())[1]
    deep = [_size("2x2", 8, 0.1, 0.1, waves=4), _size("12x100", 1262, 2.2, 2.0), _size("20x500", 10121, 17.0, 16.0)]
    assert not run.report(deep, [0.5], [0.6], run.machine())[1]
    growing = [_size("2x2", 8, 0.1, 0.1), _size("12x100", 1262, 2.2, 2.0), _size("20x500", 10121, 22.0, 16.0)]
    assert not run.report(growing, [0.5], [0.6], run.machine())[1]
    assert not run.report(good, [0.5], [0.8], run.machine())[1]
    text, ok = run.report(good, [0.5], [0.6], run.machine(), ([1.0, 1.0, 1.0], [1.2, 1.5, 1.1]))
    assert ok and "| dev-stack diff ≤ 1.3x its plan | 1.20x | PASS |" in text
    assert "ratio 1.20x (median of 3 pairs: 1.20, 1.50, 1.10)" in text
    assert not run.report(good, [0.5], [0.6], run.machine(), ([1.0, 1.0, 1.0], [1.4, 1.5, 1.1]))[1]


def test_the_diff_benchmark_times_a_stack_file_change_planned_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmd = diff_speed.commands(diff_speed.scratch_repo(tmp_path))["diff"]
    assert cmd[:4] == [sys.executable, "-m", "replication", "diff"]
    assert cli.main(cmd[3:]) == 0
    out, err = capsys.readouterr()
    assert "planned in process, with the working tree's code (the same as HEAD~1's)" in err
    assert [(c["name"], c["action"]) for c in json.loads(out)["changes"]] == [("source-topic-orders", "create")]


def test_only_plain_exports_skip_resolution() -> None:
    from replication import engine

    assert engine._plain({"c0": ["t0000", "c1.t0000"], "n": [1, 2.5, True, None]})
    assert not engine._plain({"c0": [object()]})  # an Output, or anything else, is resolved by Pulumi
    assert not engine._plain({"c0": ("t0000",)})  # tuples go through Pulumi, which makes lists of them
    assert not engine._plain({1: "x"})


def test_plan_exports_the_topic_map_as_plain_data(run_stack: RunStack, tmp_path: Path) -> None:
    result = run_stack("bench", stack_file=ring_file(tmp_path, 2, 1))
    assert result.outputs["expectedTopics"] == {
        "c0": ["c1.heartbeats", "c1.t0000", "heartbeats", "t0000"],
        "c1": ["c0.heartbeats", "c0.t0000", "heartbeats", "t0000"],
    }
    assert result.outputs["clusterServiceNames"] == {"c0": "c0", "c1": "c1"}  # an Output, resolved


def test_a_failing_run_stops_with_its_error(tmp_path: Path) -> None:
    doc = generate.ring(2, 1)
    doc["config"]["aiven-kafka-replication:clusters"] = {}
    size = run.Size("bad", "bench", generate.write(doc, tmp_path / "Pulumi.bench.yaml"))
    with pytest.raises(SystemExit, match=r"(?s)bad: program run failed:.*Pulumi.bench.yaml: aiven-kafka-replication:clusters"):
        run.run_pair(size, 0, None)
