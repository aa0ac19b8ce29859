"""Which Kafka version changes Aiven applies: the one place the upgrade path lives.

Pure logic, no Pulumi. Aiven upgrades a Kafka service in place and has no downgrade. Kafka 4.x runs only in
KRaft mode, and Aiven upgrades to it only a service on 3.9 in KRaft mode (Aiven changelog "Aiven for Apache
Kafka® 4.0": "upgrade existing services running Kafka 3.9 in KRaft mode"; Kafka's upgrade notes for 4.0 to
4.3: "broker upgrades to 4.x require KRaft mode … Clusters in ZooKeeper mode have to be migrated to KRaft
mode before they can be upgraded"). Whether a service runs KRaft is not in the stack or the plan: Aiven
deploys new services with KRaft (since June 2025) and migrates older ones from ZooKeeper on request.
:mod:`replication.diff_rules` judges a version change by :func:`step`; the deprecation warning of
:mod:`replication.aiven_schema` names :func:`next_step`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

#: The last 3.x release, and the only one Aiven upgrades to 4.x from.
BRIDGE = "3.9"
_BRIDGE = (3, 9)
#: The upgrade path, as the rule and the deprecation warning say it.
PATH = f"Aiven upgrades to 4.x only a service on {BRIDGE} in KRaft mode"
#: What a reviewer must check before a 3.9 service goes to 4.x.
KRAFT_PREREQUISITE = (
    "Aiven upgrades to 4.x only a service that runs in KRaft mode, and whether this one does cannot be known "
    "offline (Aiven deploys new services with KRaft; one still on ZooKeeper must be migrated to KRaft first)"
)


_DOTTED = re.compile(r"[0-9]+(?:\.[0-9]+)*")  # ASCII digits only (str.isdigit and int() take others)


def parse(value: Any) -> tuple[int, ...] | None:
    """`"3.9"` → `(3, 9)`; None for anything that is not a dotted version. The one Kafka version parser."""
    if not isinstance(value, str) or not _DOTTED.fullmatch(value):
        return None
    return tuple(int(p) for p in value.split("."))


Step = Literal["downgrade", "refused", "needs-kraft", "from-unset"]
"""What Aiven does with a version change that is not a plain upgrade: refuses a downgrade, refuses a jump
to 4.x from below :data:`BRIDGE`, takes 3.9 to 4.x only in KRaft mode; from unset, the running version is
Aiven's default when the service was created, unknown offline, so the change may be any of these."""

#: Why a change from an unset version cannot be judged offline.
UNKNOWN_RUNNING = (
    "the service runs the version Aiven gave it when it was created, which cannot be known offline, so the "
    "change may be a downgrade (which Aiven refuses), a jump to 4.x from below "
    f"{BRIDGE} (which Aiven refuses) or from {BRIDGE} on ZooKeeper (which needs KRaft first)"
)


def step(before: Any, after: Any) -> Step | None:
    """How Aiven takes `before` → `after` when it is not a plain upgrade; None when it is (or a side is
    not a version, which the schema check reports). `before` None is an unset version."""
    old, new = parse(before), parse(after)
    if before is None and new is not None:
        return "from-unset"
    if old is None or new is None or new == old:
        return None
    if new < old:
        return "downgrade"
    if old[0] < 4 <= new[0]:
        return "refused" if old[:2] < _BRIDGE else "needs-kraft"
    return None


def next_step(current: str) -> str | None:
    """The version a service on `current` can be upgraded to on the way to 4.x, when it is not 4.x
    itself: :data:`BRIDGE` from an earlier 3.x (or 2.x); None otherwise."""
    version = parse(current)
    if version is None or version[0] >= 4 or version[:2] >= _BRIDGE:
        return None
    return BRIDGE
