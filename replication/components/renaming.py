"""Renamed clusters: the names their resources had, as Pulumi `aliases` (a cluster's `renamedFrom`).

A cluster's alias is part of the name, hence of the URN, of every resource built for it: the
cluster's component, its Kafka service and topics, its integrations, its flows. Each of them lists
its previous name as an alias, so the engine moves the state instead of deleting and recreating.
A child's URN carries its parent's type chain, not the parent's name, so `Alias(name=...)` with the
current parent is the old URN exactly.
"""

from __future__ import annotations

import pulumi


def previous(name: str | None) -> list[pulumi.Input[str | pulumi.Alias]] | None:
    """Pulumi `aliases` for a resource whose name was `name` before a rename (None: not renamed)."""
    return None if name is None else [pulumi.Alias(name=name)]

