"""The bounds on what one stack may declare (replication/stack_limits.py), at their exact edges."""

from __future__ import annotations

from typing import Any

import pytest

from replication import stack_limits

NS = "aiven-kafka-replication"


def _with(key: str, count: int) -> dict[str, Any]:
    if key == "flows":
        return {"flows": [{"source": "a", "target": "b"}] * count}
    if key == "topics":  # split over two clusters, `topics` and `knownTopics`, to prove both count
        half = count // 2
        return {"clusters": {
            "a": {"topics": {f"t{i}": {} for i in range(half)}},
            "b": {"knownTopics": [f"k{i}" for i in range(count - half)]},
        }}
    return {key: {f"k{i}": {} for i in range(count)}}


@pytest.mark.parametrize(
    ("key", "bound", "line"),
    [
        ("clusters", stack_limits.MAX_CLUSTERS, f"{NS}:clusters: 101 clusters"),
        ("mirrormakers", stack_limits.MAX_MIRRORMAKERS, f"{NS}:mirrormakers: 51 MirrorMaker services"),
        ("flows", stack_limits.MAX_FLOWS, f"{NS}:flows: 401 flows"),
        ("topics", stack_limits.MAX_TOPICS, f"{NS}:clusters: 15,001 topics declared, all clusters"),
        ("users", stack_limits.MAX_USERS, f"{NS}:users: 1,001 users"),
    ],
)
def test_each_limit_is_exact(key: str, bound: int, line: str) -> None:
    assert stack_limits.check(_with(key, bound)) == []
    assert stack_limits.check(_with(key, bound + 1)) == [
        f"{line} (a stack may declare at most {bound:,}; see docs/stack-files.md)"
    ]


def test_values_of_the_wrong_type_are_left_to_validation() -> None:
    assert stack_limits.check({"clusters": "x" * 200, "flows": 5, "users": None}) == []
    assert stack_limits.check({"clusters": {"a": ["t"] * 20_000}}) == []


def test_several_limits_give_one_line_each() -> None:
    raw = {**_with("flows", 401), **_with("users", 1_001)}
    assert [line.split(":")[1] for line in stack_limits.check(raw)] == ["flows", "users"]


def test_the_largest_benchmark_fits_with_room() -> None:
    from benchmarks import generate
    from replication import topology
    from replication.config import StackConfig

    raw = {k.removeprefix(f"{NS}:"): v for k, v in generate.ring(20, 500)["config"].items()}
    assert stack_limits.check(raw) == []
    # Planned under the shipped topic-map limit, it predicts less than a third of it.
    held = topology.resolve(StackConfig.model_validate(raw)).topic_map.topics
    assert sum(map(len, held.values())) == 30_780 <= stack_limits.MAX_PREDICTED_TOPICS // 3
