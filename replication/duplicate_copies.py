"""Duplicate copies: the same records reaching one cluster along two paths.

Pure logic over the topic map's lineage. In a full mesh whose flows copy `.*`, `orders` on `eu`
reaches `us` directly as `eu.orders` and through `ap` as `ap.eu.orders`: MirrorMaker's cycle check
stops topics returning to where they came from, not this. Every record is then stored and
transferred twice. The copy along the shortest path (fewest flows, then by name) is the one to
keep; each flow that writes another copy is named once, with the remote prefixes to exclude so
that it copies only its source's own topics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from replication.lineage import Copy, Lineage
from replication.topicmap import source_aliases


@dataclass(frozen=True)
class DuplicateFlow:
    """A flow that writes copies its target already receives along a shorter path."""

    flow: str
    """The flow, `<source>-><target>`."""
    examples: tuple[tuple[str, str, str, str], ...]
    """(duplicate copy, kept copy, original topic, original cluster), the first few."""
    count: int
    """How many duplicate copies it writes."""
    exclude: tuple[str, ...]
    """Java regexes for `topicsExclude` that keep the flow to its source's own topics."""

    def message(self) -> str:
        """One warning line naming the flow, an example and the fix."""
        dup, kept, topic, origin = self.examples[0]
        target = self.flow.split("->", 1)[1]
        more = f" ({self.count} such copies)" if self.count > 1 else ""
        fix = (
            f"for example topicsExclude: [{', '.join(repr(p) for p in self.exclude)}]"
            if self.exclude
            else "for example by listing them in its topics"
        )
        return (
            f"flow {self.flow} writes copies cluster {target!r} already receives along a shorter path: "
            f"{dup!r} duplicates {kept!r}, both from {topic!r} on {origin!r}{more}; every record is stored and "
            f"transferred twice. Restrict the flow to its source's local topics, {fix}"
        )


def duplicate_flows(lineage: Lineage) -> list[DuplicateFlow]:
    """Every flow that writes a duplicate copy, sorted by flow."""
    found: dict[str, list[tuple[Copy, Copy, str, str]]] = {}
    for origin, topics in lineage.originals().items():
        for topic in topics:
            by_cluster: dict[str, list[Copy]] = {}
            for copy in lineage.copies(origin, topic):
                by_cluster.setdefault(copy.cluster, []).append(copy)
            for copies in by_cluster.values():
                kept, *others = sorted(copies, key=lambda c: (len(c.flows), c.topic))
                for other in others:
                    found.setdefault(other.flows[-1], []).append((other, kept, topic, origin))
    result = []
    for flow, dups in sorted(found.items()):
        source = flow.split("->", 1)[0]
        prefixes = sorted({p for d, _, _, _ in dups if (p := _first_prefix(d.topic, source)) is not None})
        result.append(DuplicateFlow(
            flow=flow,
            examples=tuple((d.topic, k.topic, t, o) for d, k, t, o in dups[:3]),
            count=len(dups),
            exclude=tuple(re.escape(p) + "\\..*" for p in prefixes),
        ))
    return result


def _first_prefix(copy_name: str, source: str) -> str | None:
    # The copy is `<source>.<upstream>`; the upstream's own prefix names the cluster it came from.
    aliases = source_aliases(copy_name)
    return aliases[1] if len(aliases) > 1 and aliases[0] == source else None
