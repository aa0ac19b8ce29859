"""Crossing environments: records from a cluster this stack does not manage (`existing` or
`external`, perhaps another environment's) that end up on a cluster this stack opens to the internet.

Pure logic over the config and the topic map's lineage (:mod:`replication.lineage`), so a chain is
followed as far as the records go: `prodsrc` (existing) → `mid` (closed) → `open` (0.0.0.0/0) puts
`mid.prodsrc.topic-a` on `open`. A flow straight out of an unmanaged cluster into an open one warns
even when the topic map knows none of that cluster's topics: it copies whatever the cluster holds.
Only an unprotected stack can have these: with `protect`, an open ip filter is an error.
"""

from __future__ import annotations

from replication.config import ConfigIssue, StackConfig, ip_filter_findings
from replication.lineage import Lineage


def findings(cfg: StackConfig, lineage: Lineage) -> list[ConfigIssue]:
    """One warning per flow into an open cluster and unmanaged cluster its records come from."""
    if cfg.protect:
        return []
    # "Open" is what `ip_filter_findings` reports, so there is one rule for it.
    open_services = {issue.path.partition(".ipFilter")[0] for issue in ip_filter_findings(cfg)}
    index = {f"{flow.source}->{flow.target}": i for i, flow in enumerate(cfg.flows)}

    def unmanaged(alias: str) -> bool:
        cluster = cfg.clusters.get(alias)
        return cluster is not None and not cluster.managed

    # (flow index, origin alias) -> (clusters in between, an example copy); () for a direct flow.
    found: dict[tuple[int, str], tuple[tuple[str, ...], str]] = {}
    for i, flow in enumerate(cfg.flows):
        if unmanaged(flow.source) and f"clusters.{flow.target}" in open_services:
            found[(i, flow.source)] = ((), "")
    for alias, held in sorted(lineage.topic_map.topics.items()):
        if f"clusters.{alias}" not in open_services:
            continue
        for topic in sorted(held):
            root = lineage.original(alias, topic)
            if root == (alias, topic) or not unmanaged(root[0]):
                continue
            hops = next(c.flows for c in lineage.copies(*root) if (c.cluster, c.topic) == (alias, topic))
            via = tuple(hop.split("->", 1)[1] for hop in hops[:-1])
            found.setdefault((index[hops[-1]], root[0]), (via, topic))
    return [_issue(cfg, i, origin, *found[(i, origin)]) for i, origin in sorted(found)]


def _issue(cfg: StackConfig, i: int, origin: str, via: tuple[str, ...], copy: str) -> ConfigIssue:
    target = cfg.flows[i].target
    kind = "an existing Aiven service" if cfg.clusters[origin].existing else "an external cluster"
    through = f" through {', '.join(map(repr, via))} (e.g. {copy!r})" if via else ""
    return ConfigIssue(
        f"flows[{i}]",
        f"copies data from {origin!r} ({kind} this stack does not manage){through} into {target!r}, whose "
        "ipFilter admits the whole internet, in a stack without protect: data from another environment "
        f"becomes reachable from anywhere; restrict clusters.{target}.ipFilter",
    )
