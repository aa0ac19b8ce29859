"""Large topologies for the benchmark: N clusters x T topics each, in a two-way ring of flows.

Cluster i replicates to cluster i+1 and back (the last closes the ring to the first), with the
default replication policy. Each flow copies only the source's own topics (names without a `.`),
as one would in a real ring: with `.*`, every topic would travel round the ring and come back
with N-1 compounded prefixes. Flows run on `mirrormakers` MirrorMaker services, chosen by target.

The output is a `Pulumi.<stack>.yaml` document (a dict) that the real program accepts.

    python -m benchmarks.generate 12 100 > /tmp/Pulumi.bench.yaml
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

NAMESPACE = "aiven-kafka-replication"

#: Topics local to the source: remote topics carry `<alias>.` and are left out.
LOCAL_TOPICS = "[^.]+"


def alias(i: int, clusters: int) -> str:
    """The alias of cluster `i`, zero-padded so aliases sort in ring order."""
    return f"c{i:0{len(str(clusters - 1))}d}"


def ring_pairs(clusters: int) -> list[tuple[int, int]]:
    """Neighbouring cluster pairs of the ring (two clusters make one pair, not two)."""
    if clusters < 2:
        raise ValueError(f"a ring needs at least 2 clusters, got {clusters}")
    if clusters == 2:
        return [(0, 1)]
    return [(i, (i + 1) % clusters) for i in range(clusters)]


def default_mirrormakers(clusters: int) -> int:
    """One MirrorMaker per six clusters or so: a few services, each with a handful of integrations."""
    return max(1, clusters // 6)


def ring(clusters: int, topics: int, mirrormakers: int | None = None) -> dict[str, Any]:
    """A stack document for `clusters` x `topics` in a two-way ring, with `mirrormakers` services."""
    mm_count = default_mirrormakers(clusters) if mirrormakers is None else mirrormakers
    if topics < 0 or not 1 <= mm_count <= clusters:
        raise ValueError(f"need topics >= 0 and 1 <= mirrormakers <= clusters, got {topics}, {mm_count}")
    names = [alias(i, clusters) for i in range(clusters)]
    cluster_docs = {
        name: {
            "cloud": "google-europe-west1",
            "plan": "business-8",
            "kafkaVersion": "3.8",
            "maintenanceWindow": {"dow": "sunday", "time": "02:00:00"},
            "ipFilter": ["10.0.0.0/8"],
            "kafka": {"logRetentionBytes": 1_000_000_000},
            "topics": {f"t{j:04d}": _topic(j) for j in range(topics)},
        }
        for name in names
    }
    mm_names = [f"mm{k}" for k in range(mm_count)]
    mm_docs = {
        key: {
            "cloud": "google-europe-west1",
            "plan": "business-8",
            "ipFilter": ["10.0.0.0/8"],
            "kafkaMirrormaker": {"refreshTopicsIntervalSeconds": 300},
        }
        for key in mm_names
    }
    flows = [
        {
            "source": names[source],
            "target": names[target],
            # The MirrorMaker writing to a target runs every flow into it.
            "mirrormaker": mm_names[target % mm_count],
            "topics": [LOCAL_TOPICS],
        }
        for a, b in ring_pairs(clusters)
        for source, target in ((a, b), (b, a))
    ]
    return {
        "config": {
            f"{NAMESPACE}:project": "bench-project",
            f"{NAMESPACE}:clusters": cluster_docs,
            f"{NAMESPACE}:mirrormakers": mm_docs,
            f"{NAMESPACE}:flows": flows,
        }
    }


def _topic(j: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"partitions": 3, "replication": 3}
    if j % 10 == 0:  # some topics carry a provider config block, as real estates do
        spec["config"] = {"retentionMs": 604_800_000, "cleanupPolicy": "delete"}
    return spec


def namespace(doc: dict[str, Any]) -> dict[str, Any]:
    """The namespace's keys without their prefix, as `replication.config.parse` takes them."""
    prefix = f"{NAMESPACE}:"
    return {k.removeprefix(prefix): v for k, v in doc["config"].items() if k.startswith(prefix)}


def write(doc: dict[str, Any], path: Path) -> Path:
    """Write a stack document as YAML."""
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Print a generated stack file."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.splitlines()[0])
    parser.add_argument("clusters", type=int)
    parser.add_argument("topics", type=int, help="topics per cluster")
    parser.add_argument("--mirrormakers", type=int, help="MirrorMaker services (default: one per 6 clusters)")
    args = parser.parse_args(argv)
    sys.stdout.write(yaml.safe_dump(ring(args.clusters, args.topics, args.mirrormakers), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
