"""Kafka's own bounds on topic ``config`` values, checked before any resource is declared.

Aiven's user-config schemas do not describe topic settings, and the provider contract gives few
bounds (``segmentBytes >= 14``, ``minInsyncReplicas >= 1``...). The brokers refuse the rest at
apply time, halfway through a topology. :data:`BOUNDS` is the one table of them, transcribed from
the validators of ``org.apache.kafka.storage.internals.log.LogConfig`` (Kafka 3.5 to 4.x; before
3.5 the same definitions were in ``kafka.log.LogConfig``). The table of ``docs/topic-rules.md`` is
generated from it (:func:`table`, by ``python -m replication.docgen``; a test keeps the two in step).

No Pulumi imports: config validation runs before any resource is declared.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from replication import echo

#: Java's ``Integer.MAX_VALUE`` and ``Long.MAX_VALUE``: an INT or LONG config parses no larger.
INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1
_INT_MIN = -(2**31)
_LONG_MIN = -(2**63)


@dataclass(frozen=True)
class Bound:
    """One topic setting's validator in Kafka's LogConfig."""

    kafka: str
    """Kafka's name of the setting."""
    kind: str
    """Kafka's type: ``INT`` (32-bit), ``LONG`` (64-bit) or ``DOUBLE``."""
    low: int | float | None
    """Smallest value the brokers accept (``atLeast``/``between``), None for the type's minimum."""
    high: int | float | None = None
    """Largest value (``between``), None for the type's maximum."""
    validator: str = ""
    """The validator as LogConfig writes it, quoted in errors and docs."""
    low_before_4: int | None = None
    """A looser minimum that Kafka before 4.0 applies (a cluster whose `kafkaVersion` is 3.x)."""


# org.apache.kafka.storage.internals.log.LogConfig (CONFIG.define(...)), keyed by the provider's
# camelCase name. Enum settings (cleanupPolicy, compressionType, messageTimestampType,
# messageFormatVersion) are closed Literals in the provider contract already; booleans have no bound.
BOUNDS: dict[str, Bound] = {
    "deleteRetentionMs": Bound("delete.retention.ms", "LONG", 0, validator="atLeast(0)"),
    "fileDeleteDelayMs": Bound("file.delete.delay.ms", "LONG", 0, validator="atLeast(0)"),
    "flushMessages": Bound("flush.messages", "LONG", 1, validator="atLeast(1)"),
    "flushMs": Bound("flush.ms", "LONG", 0, validator="atLeast(0)"),
    "indexIntervalBytes": Bound("index.interval.bytes", "INT", 0, validator="atLeast(0)"),
    "localRetentionBytes": Bound("local.retention.bytes", "LONG", -2, validator="atLeast(-2)"),
    "localRetentionMs": Bound("local.retention.ms", "LONG", -2, validator="atLeast(-2)"),
    "maxCompactionLagMs": Bound("max.compaction.lag.ms", "LONG", 1, validator="atLeast(1)"),
    "maxMessageBytes": Bound("max.message.bytes", "INT", 0, validator="atLeast(0)"),
    "messageTimestampAfterMaxMs": Bound("message.timestamp.after.max.ms", "LONG", 0, validator="atLeast(0)"),
    "messageTimestampBeforeMaxMs": Bound("message.timestamp.before.max.ms", "LONG", 0, validator="atLeast(0)"),
    "messageTimestampDifferenceMaxMs": Bound(
        "message.timestamp.difference.max.ms", "LONG", 0, validator="atLeast(0)"
    ),  # Kafka 3.x only (removed in 4.0)
    "minCleanableDirtyRatio": Bound("min.cleanable.dirty.ratio", "DOUBLE", 0, 1, validator="between(0, 1)"),
    "minCompactionLagMs": Bound("min.compaction.lag.ms", "LONG", 0, validator="atLeast(0)"),
    "minInsyncReplicas": Bound("min.insync.replicas", "INT", 1, validator="atLeast(1)"),
    # "can be negative" (LogConfig's comment): no validator, any LONG.
    "retentionBytes": Bound("retention.bytes", "LONG", None, validator="none (any LONG)"),
    "retentionMs": Bound("retention.ms", "LONG", -1, validator="atLeast(-1)"),
    # Kafka 4.0 (KIP-1030) raised the minimum from LegacyRecord.RECORD_OVERHEAD_V0 (14) to 1 MiB.
    "segmentBytes": Bound("segment.bytes", "INT", 1024 * 1024, validator="atLeast(1024 * 1024)", low_before_4=14),
    "segmentIndexBytes": Bound("segment.index.bytes", "INT", 4, validator="atLeast(4)"),
    "segmentJitterMs": Bound("segment.jitter.ms", "LONG", 0, validator="atLeast(0)"),
    "segmentMs": Bound("segment.ms", "LONG", 1, validator="atLeast(1)"),
}

_INTEGER = re.compile(r"-?[0-9]+")


def _type_range(bound: Bound) -> tuple[int, int] | None:
    if bound.kind == "INT":
        return _INT_MIN, INT_MAX
    if bound.kind == "LONG":
        return _LONG_MIN, LONG_MAX
    return None


def _before_4(kafka_version: str | None) -> bool:
    # An unset version is Aiven's default, which may be 4.x: hold it to the stricter bound.
    major = (kafka_version or "").split(".", 1)[0]
    return major.isdigit() and int(major) < 4


def low_for(bound: Bound, kafka_version: str | None) -> int | float | None:
    """The minimum the cluster's brokers apply."""
    if bound.low_before_4 is not None and _before_4(kafka_version):
        return bound.low_before_4
    return bound.low


def _shown(value: Any) -> str:
    return echo.quoted(value, 40)


def check_value(key: str, value: Any, kafka_version: str | None = None) -> str | None:
    """Why Kafka's brokers would refuse `value` for topic setting `key`, or None."""
    bound = BOUNDS.get(key)
    if bound is None or value is None:
        return None
    where = f"Kafka's {bound.kafka} is {bound.kind}"
    number: int | float
    if bound.kind == "DOUBLE":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{where}, a finite number; got {_shown(value)}"
        number = value
    else:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _INTEGER.fullmatch(text):
            return f"{where}, a whole number; got {_shown(value)}"
        number = int(text)
        lowest, highest = _type_range(bound) or (None, None)
        if lowest is not None and highest is not None and not lowest <= number <= highest:
            return f"{where} and holds {lowest} to {highest}; got {_shown(value)}"
    low = low_for(bound, kafka_version)
    cite = f"LogConfig: {bound.validator}"
    since = ""
    if bound.low_before_4 is not None:
        if low == bound.low_before_4:
            cite = f"LogConfig before Kafka 4.0: atLeast({low})"
        else:
            since = " on Kafka 4.0 and later (a kafkaVersion below 4.0 allows less)"
    if low is not None and number < low:
        return f"must be at least {low}{since} ({cite}); got {_shown(value)}"
    if bound.high is not None and number > bound.high:
        return f"must be at most {bound.high} ({cite}); got {_shown(value)}"
    return None


def check_config(wire: dict[str, Any], path: str, kafka_version: str | None = None) -> Iterator[tuple[str, str]]:
    """(key path, message) for each value of one topic's `config` (camelCase wire dict) the
    brokers would refuse, and for minCompactionLagMs above maxCompactionLagms (LogConfig.validateValues)."""
    for key, value in wire.items():
        message = check_value(key, value, kafka_version)
        if message is not None:
            yield f"{path}.{key}", message
    low, high = wire.get("minCompactionLagMs"), wire.get("maxCompactionLagMs")
    valid = all(check_value(k, wire.get(k)) is None for k in ("minCompactionLagMs", "maxCompactionLagMs"))
    if low is not None and high is not None and valid and int(low) > int(high):
        yield (f"{path}.minCompactionLagMs",
                   f"must not exceed maxCompactionLagMs ({high}); got {_shown(low)} (LogConfig.validateValues)")


def table() -> str:
    """Markdown table of every bounded topic setting (for the docs)."""
    rows = ["| config key | Kafka setting | type | Kafka's validator | accepted |", "| --- | --- | --- | --- | --- |"]
    for key, bound in sorted(BOUNDS.items()):
        lowest, highest = _type_range(bound) or (None, None)
        low = bound.low if bound.low is not None else lowest
        high = bound.high if bound.high is not None else highest
        accepted = f"{low} to {high}"
        if bound.low_before_4 is not None:
            accepted += f" ({bound.low_before_4} to {high} before Kafka 4.0)"
        rows.append(f"| `{key}` | `{bound.kafka}` | {bound.kind} | `{bound.validator}` | {accepted} |")
    return "\n".join(rows) + "\n"

