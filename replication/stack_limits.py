"""What one stack may declare, and how large its topic map may grow: bounds on the work of a plan.

`replication.stackfile` bounds what a file costs to read; a small file can still declare work
that takes minutes (tens of thousands of topics, each a resource) or a topology whose topic map
explodes (a full mesh with `.*` filters copies every topic along every simple path). These
limits are checked on the namespace's raw values before the config is validated, and the topic
map counts predicted topics as it produces them. docs/stack-files.md shows :data:`LIMITS`.

Pure logic: no Pulumi imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAMESPACE = "aiven-kafka-replication"

#: The largest benchmark (benchmarks/generate.py, 20 clusters x 500 topics in a ring, 40 flows,
#: 4 MirrorMakers) declares 10,000 topics and predicts 30,780; each limit leaves room above it.
MAX_CLUSTERS = 100
MAX_MIRRORMAKERS = 50
MAX_FLOWS = 400
MAX_TOPICS = 15_000
MAX_USERS = 1_000
MAX_PREDICTED_TOPICS = 100_000

#: Each limit: what is counted, the key it is counted in, the bound, why (docs/stack-files.md).
LIMITS: tuple[tuple[str, str, int, str], ...] = (
    ("clusters", "clusters", MAX_CLUSTERS, "5 times the largest benchmark's 20"),
    ("MirrorMaker services", "mirrormakers", MAX_MIRRORMAKERS, "12 times the largest benchmark's 4"),
    ("flows", "flows", MAX_FLOWS,
     "a full mesh of 20 clusters (380 flows); the largest benchmark has 40"),
    ("topics declared, all clusters (`topics` and `knownTopics`)", "clusters", MAX_TOPICS,
     "1.5 times the largest benchmark's 10,000 (which plans in about 11 s): each declared topic is a "
     "resource"),
    ("users", "users", MAX_USERS, "each user is a resource on every cluster it may use"),
    ("topics in the topic map (declared and predicted copies)", "flows", MAX_PREDICTED_TOPICS,
     "3 times the largest benchmark's 30,780; counted as the map grows, so a full mesh of `.*` "
     "flows stops after this many, not after millions"),
)


def limits_table() -> str:
    """:data:`LIMITS` as the markdown table docs/stack-files.md holds (a test keeps them in step)."""
    rows = [f"| {what} | `{NAMESPACE}:{key}` | {bound:,} | {why} |" for what, key, bound, why in LIMITS]
    return "\n".join(["| what | key | at most | why |", "| --- | --- | --- | --- |", *rows]) + "\n"


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (dict, list)) else 0


def _declared_topics(clusters: Any) -> int:
    if not isinstance(clusters, dict):
        return 0
    return sum(
        _size(cluster.get("topics")) + _size(cluster.get("knownTopics"))
        for cluster in clusters.values()
        if isinstance(cluster, dict)
    )


def check(raw: Mapping[str, Any]) -> list[str]:
    """One line per limit the namespace's raw values (keys without the prefix) exceed: the key,
    the count and the bound. Values of the wrong type are left to the config's validation."""
    counts = {
        "clusters": _size(raw.get("clusters")),
        "MirrorMaker services": _size(raw.get("mirrormakers")),
        "flows": _size(raw.get("flows")),
        "topics declared, all clusters (`topics` and `knownTopics`)": _declared_topics(raw.get("clusters")),
        "users": _size(raw.get("users")),
    }
    return [
        f"{NAMESPACE}:{key}: {counts[what]:,} {what.split(' (')[0]} (a stack may declare at most {bound:,};"
        " see docs/stack-files.md)"
        for what, key, bound, _ in LIMITS
        if what in counts and counts[what] > bound
    ]
