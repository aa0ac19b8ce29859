"""Kafka's own bounds on topic ``config`` values, checked before any resource is declared.

Aiven's user-config schemas do not describe topic settings, and the provider contract gives few
bounds (``segmentBytes >= 14``, ``minInsyncReplicas >= 1``...). The brokers refuse the rest at
apply time, halfway through a topology. :data:`BOUNDS` is the one table of them, transcribed from
the validators of ``org.apache.kafka.storage.internals.log.LogConfig`` (Kafka 3.5 to 4.x; before
3.5 the same definitions were in ``kafka.log.LogConfig``). The table of ``docs/topic-rules.md`` is
generated from it (:func:`table`, by ``python -m replication.docgen``; a test keeps the two in step).

With ``remoteStorageEnable: true`` (tiered storage, KIP-405) a topic also meets the cross-field checks
that ``LogConfig.validateTopicLogConfigValues`` runs on its effective values (its own, else the
cluster's broker setting, else Kafka's default): :data:`REMOTE_STORAGE_RULES`, checked by
:func:`check_remote_storage` and tabled by :func:`remote_storage_table`.

No Pulumi imports: config validation runs before any resource is declared.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from replication import echo, kafka_versions

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
    version = kafka_versions.parse(kafka_version)
    return version is not None and version[0] < 4


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



# --- tiered storage: the cross-field checks of LogConfig.validateTopicLogConfigValues -------------------

#: Kafka 3.6 brought tiered storage (KIP-405) and its checks (KAFKA-15295); Aiven offers it from 3.6 on.
REMOTE_STORAGE_SINCE = (3, 6)


@dataclass(frozen=True)
class CrossRule:
    """One check Kafka runs on a topic with `remote.storage.enable=true`."""

    rule: str
    """What is required (markdown)."""
    source: str
    """Where Kafka (or Aiven) says so."""


REMOTE_STORAGE_RULES: tuple[CrossRule, ...] = (
    CrossRule("the cluster's `tieredStorage.enabled` is `true`",
              "`LogConfig.validateRemoteStorageOnlyIfSystemEnabled`: \"Tiered Storage functionality is disabled in "
              "the broker. Topic cannot be configured with remote log storage.\" (Aiven: tiered storage enabled for "
              "the service)"),
    CrossRule("the cluster's `kafkaVersion` is 3.6 or later (unset: plan warns, as Aiven's default is not "
              "known offline)",
              "KIP-405 shipped in Kafka 3.6; Aiven: \"Apache Kafka version 3.6 or later\""),
    CrossRule("the effective `cleanupPolicy` (else `kafka.logCleanupPolicy`, default `delete`) has no "
              "`compact`", "`LogConfig.validateNoRemoteStorageForCompactedTopic`"),
    CrossRule("while the effective `retentionMs` (else `kafka.logRetentionMs`, "
              "`logRetentionHours`, default 168 h) is not `-1`: the effective `localRetentionMs` (else "
              "`kafka.logLocalRetentionMs`, default `-2`, which means `retentionMs`) is not `-1` and not above it",
              "`LogConfig.validateRemoteStorageRetentionTime`"),
    CrossRule("while the effective `retentionBytes` (else `kafka.logRetentionBytes`, default `-1`) is not "
              "negative: the effective `localRetentionBytes` (else `kafka.logLocalRetentionBytes`, default `-2`) is "
              "not `-1` and not above it", "`LogConfig.validateRemoteStorageRetentionSize`"),
)


def _own(wire: dict[str, Any], key: str) -> int | None:
    """A topic's own integer setting, None when unset or not a number (refused by check_value)."""
    value = wire.get(key)
    if value is None or check_value(key, value) is not None:
        return None
    return int(value)


def _too_old(kafka_version: str | None) -> bool:
    version = kafka_versions.parse(kafka_version)
    return version is not None and version < REMOTE_STORAGE_SINCE


#: Local retention against total retention: topic keys, the broker's local key and LogConfig's check.
_LOCAL_RETENTION = (
    ("localRetentionMs", "retentionMs", "logLocalRetentionMs", "validateRemoteStorageRetentionTime"),
    ("localRetentionBytes", "retentionBytes", "logLocalRetentionBytes", "validateRemoteStorageRetentionSize"),
)


def check_remote_storage(wire: dict[str, Any], path: str, cluster_path: str, kafka: dict[str, Any],
                         tiered: bool, kafka_version: str | None) -> Iterator[tuple[str, str]]:
    """(key path, message) for each of :data:`REMOTE_STORAGE_RULES` a topic with `remoteStorageEnable: true`
    breaks. `wire` is its `config`, `kafka` its cluster's broker settings (camelCase wire dicts)."""
    if wire.get("remoteStorageEnable") is not True:
        return
    # The effective cluster values are diff_rules' (one place); imported here, as it loads the topic map,
    # which plain config validation does not (tests/test_javaregex.py).
    from replication.diff_rules import UNLIMITED, cluster_cleanup, cluster_retention_bytes, cluster_retention_ms

    at = f"{path}.remoteStorageEnable"
    if not tiered:
        version = f" on Kafka 3.6 or later ({cluster_path}.kafkaVersion is {kafka_version!r})" if _too_old(
            kafka_version) else ""
        yield at, (f"needs the cluster's tiered storage, which is off: set {cluster_path}.tieredStorage.enabled: "
                   f"true{version} (LogConfig.validateRemoteStorageOnlyIfSystemEnabled)")
    own_policy = wire.get("cleanupPolicy")
    policy = cluster_cleanup(kafka) if own_policy is None else frozenset(str(own_policy).split(","))
    if "compact" in policy:
        where = f"{path}.cleanupPolicy" if own_policy is not None else f"{cluster_path}.kafka.logCleanupPolicy"
        yield (where if own_policy is not None else at,
               f"remote storage supports only cleanupPolicy delete; the effective one is {','.join(sorted(policy))!r} "
               f"({where}) (LogConfig.validateNoRemoteStorageForCompactedTopic)")
    for local_key, total_key, broker_key, check in _LOCAL_RETENTION:
        cluster_total = cluster_retention_ms if total_key == "retentionMs" else cluster_retention_bytes
        own_total, own_local = _own(wire, total_key), _own(wire, local_key)
        total = cluster_total(kafka) if own_total is None else (UNLIMITED if own_total < 0 else own_total)
        local = own_local if own_local is not None else kafka.get(broker_key, -2)
        if total == UNLIMITED or not isinstance(local, int) or not (local == -1 or local > total):
            continue
        local_at = f"{path}.{local_key}" if own_local is not None else f"{cluster_path}.kafka.{broker_key}"
        total_at = f"{path}.{total_key}" if own_total is not None else f"{cluster_path}.kafka"
        shown = "-1 (unlimited)" if local == -1 else str(local)
        yield (local_at if own_local is not None else at,
               f"with remoteStorageEnable, the local retention must not be more than the total: {local_key} {shown} "
               f"({local_at}) against {total_key} {int(total)} ({total_at}) (LogConfig.{check})")


def check_tiered_storage(cluster_path: str, tiered: bool, kafka_version: str | None) -> Iterator[tuple[str, str]]:
    """A cluster whose tiered storage is on but whose Kafka predates it."""
    if tiered and _too_old(kafka_version):
        yield (f"{cluster_path}.tieredStorage.enabled",
               f"tiered storage needs Kafka 3.6 or later (KIP-405); {cluster_path}.kafkaVersion is {kafka_version!r}")


def tiered_storage_unversioned(cluster_path: str, uses: str | None,
                               kafka_version: str | None) -> Iterator[tuple[str, str]]:
    """A warning for a cluster that uses tiered storage (`uses`: the key path that turns it on, None when
    off) with no kafkaVersion: Aiven's default version is not known offline and may predate 3.6."""
    if kafka_version is None and uses is not None:
        yield (uses, f"tiered storage needs Kafka 3.6 or later (KIP-405) and {cluster_path}.kafkaVersion is unset: "
                     "the version Aiven runs is its default, which cannot be known offline; set kafkaVersion to 3.6 "
                     "or later")


def remote_storage_table() -> str:
    """Markdown table of :data:`REMOTE_STORAGE_RULES` (for the docs)."""
    rows = ["| with `remoteStorageEnable: true` | Kafka's check |", "| --- | --- |"]
    rows += [f"| {r.rule} | {r.source} |" for r in REMOTE_STORAGE_RULES]
    return "\n".join(rows) + "\n"
