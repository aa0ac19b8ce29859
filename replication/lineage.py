"""Where each topic's records end up: the copies the topic map predicts, followed hop by hop.

Pure logic over :class:`replication.topicmap.TopicMap`, which records for every replicated topic the
flow that wrote it and the upstream name it came from. Read backwards, that is a forest: each
original topic (declared on its cluster, or emitted there by MirrorMaker) is a root, and its copies
hang below it. Access on copies, the failover map and the duplicate-copy warning all read this one
structure, so they cannot disagree with the topic map.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from replication.topicmap import FlowSpec, TopicMap

Place = tuple[str, str]
"""A topic on a cluster: (cluster alias, topic name)."""


@dataclass(frozen=True)
class Copy:
    """One copy of a topic, and the flows that carry records to it from the topic it copies."""

    cluster: str
    """Alias of the cluster that holds the copy."""
    topic: str
    """The copy's name on that cluster."""
    flows: tuple[str, ...]
    """Flow names (`<source>-><target>`), first hop first."""


class Lineage:
    """Every topic's original and copies, read from a topic map and the flows that built it."""

    def __init__(self, topic_map: TopicMap, flows: Iterable[FlowSpec]) -> None:
        self.topic_map = topic_map
        by_name = {f.name: f for f in flows}
        self._upstream: dict[Place, tuple[Place, str]] = {}
        self._children: dict[Place, list[tuple[Place, str]]] = {}
        self._copies: dict[Place, tuple[Copy, ...]] = {}
        for alias, held in topic_map.topics.items():
            for topic, origin in held.items():
                if origin.kind != "replicated" or origin.flow is None or origin.upstream is None:
                    continue
                parent = (by_name[origin.flow].source, origin.upstream)
                self._upstream[(alias, topic)] = (parent, origin.flow)
                self._children.setdefault(parent, []).append(((alias, topic), origin.flow))

    def is_copy(self, alias: str, topic: str) -> bool:
        """Whether a flow wrote this topic (it is not the cluster's own)."""
        return (alias, topic) in self._upstream

    def original(self, alias: str, topic: str) -> Place:
        """The topic this one descends from: itself when it is an original."""
        place = (alias, topic)
        while place in self._upstream:
            place = self._upstream[place][0]
        return place

    def copies(self, alias: str, topic: str) -> tuple[Copy, ...]:
        """Every copy downstream of a topic, nearest first (then by cluster and name). Kept once
        computed: the failover map asks for the same original's copies from each of them."""
        cached = self._copies.get((alias, topic))
        if cached is not None:
            return cached
        found: list[Copy] = []
        queue: deque[tuple[Place, tuple[str, ...]]] = deque([((alias, topic), ())])
        while queue:
            place, path = queue.popleft()
            for child, flow in self._children.get(place, ()):
                hops = (*path, flow)
                found.append(Copy(child[0], child[1], hops))
                queue.append((child, hops))
        result = self._copies[(alias, topic)] = tuple(sorted(found, key=lambda c: (len(c.flows), c.cluster, c.topic)))
        return result

    def holders(self, alias: str, topic: str) -> list[Copy]:
        """Every place holding the same records as this topic, except itself: its original (with no
        flows when that is another place) and all of the original's copies."""
        root = self.original(alias, topic)
        others = [Copy(root[0], root[1], ())] if root != (alias, topic) else []
        others += [c for c in self.copies(*root) if (c.cluster, c.topic) != (alias, topic)]
        return others

    def originals(self) -> Mapping[str, list[str]]:
        """Cluster alias -> its own topics (declared or emitted there), sorted."""
        return {
            alias: [t for t in held if (alias, t) not in self._upstream]
            for alias, held in sorted(self.topic_map.topics.items())
        }
