"""What a change does to records and to consumers: the rules `diff` judges a change by, in one table.

Pure logic, no Pulumi: each rule reads the two plan documents (:func:`plandoc.plan_document`) and the
resource changes :func:`diff.compare` found, and yields findings. :data:`RULES` is the table: each
rule's class, the key path that triggers it and the consequence, in one sentence; docs/pr-review.md's
section "What the diff flags" is generated from it (:func:`markdown_tables`).

The facts come from Kafka's sources and Aiven's API schemas (see `kafka-data-safety.md`): retention
is judged on effective values (a topic without its own value inherits its cluster's; the broker takes
the most specific time setting that is set; `-1` is unlimited), and what stops replication is read
from the delta of the topic map (`topicOrigins`), so every cause is covered: patterns, policy, alias,
a disabled or deleted flow or MirrorMaker.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from replication import escape, filterlang, kafka_versions, topicmap
from replication.javaregex import compile_joined
from replication.plandoc import ACL, ENDPOINT, FLOW, INTEGRATION, KAFKA, MIRRORMAKER, TOPIC, USER

if TYPE_CHECKING:
    from replication.diff import Change


FindingClass = Literal["cannot-apply", "cannot-judge", "data-loss", "replication-stops", "access-removed", "advisory"]


@dataclass(frozen=True)
class ClassInfo:
    """What a finding class means and whether it fails `diff`."""

    title: str
    meaning: str
    fails: Literal["always", "with --fail-on-data-loss", "never"]


#: The classes, most severe first (findings are listed in this order).
CLASSES: dict[FindingClass, ClassInfo] = {
    "cannot-apply": ClassInfo("cannot apply", "Aiven or Kafka refuses the change at `pulumi up`", "always"),
    "cannot-judge": ClassInfo(
        "cannot judge",
        "a rule cannot be judged (a value it needs is unknown or missing, e.g. a base planned by older code, or "
        "it concerns topics created outside the stack or a service's state the plan does not hold): check by hand",
        "with --fail-on-data-loss",
    ),
    "data-loss": ClassInfo("data loss", "records are deleted irreversibly", "with --fail-on-data-loss"),
    "replication-stops": ClassInfo(
        "replication stops",
        "a topic that a cluster receives today stops receiving records",
        "with --fail-on-data-loss",
    ),
    "access-removed": ClassInfo(
        "access removed",
        "clients lose access to a cluster (not data loss: the records stay, but their producers and consumers stop)",
        "never",
    ),
    "advisory": ClassInfo("advisory", "a reviewer should know; nothing is lost", "never"),
}


def failing_classes(fail_on_data_loss: bool) -> tuple[FindingClass, ...]:
    """The classes that make `diff` exit 1."""
    wanted = ("always", "with --fail-on-data-loss") if fail_on_data_loss else ("always",)
    return tuple(c for c, info in CLASSES.items() if info.fails in wanted)


@dataclass(frozen=True)
class Finding:
    """A change a reviewer must not miss."""

    cls: FindingClass
    rule: str
    """The id of the rule in :data:`RULES` that found it."""
    name: str
    """Logical name of the resource concerned."""
    path: str
    """The key path that changed, e.g. `config.retentionMs`."""
    before: Any
    after: Any
    message: str
    """What changes and its consequence, in one line."""


@dataclass(frozen=True)
class Hit:
    """What a rule's check found; :func:`judge` turns it into a :class:`Finding` of the rule's class."""

    name: str
    path: str
    before: Any
    after: Any
    what: str
    """How a reviewer recognises the resource: `topic `orders` on `source``."""
    detail: str = ""
    """Specifics appended after the change (effective values, topics concerned)."""
    note: str = ""
    """A sentence after the consequence (that a protected resource cannot go yet)."""
    unjudged: str | None = None
    """Why the rule cannot be judged here: the finding becomes `cannot-judge`."""


@dataclass(frozen=True)
class Context:
    """The two plan documents and the resource changes between them."""

    base: Mapping[str, Any] | None
    head: Mapping[str, Any]
    changes: Sequence[Change]


Check = Callable[[Context], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    """One row of the table."""

    id: str
    cls: FindingClass
    subject: str
    """What it applies to: `Kafka topic`, `flow`, …"""
    trigger: str
    """The key path and the change that trigger it (markdown)."""
    consequence: str
    """The consequence, in one sentence."""
    check: Check
    per_path: bool = False
    """Whether it can hit several key paths of one resource: its finding ids then carry the path."""


# --- reading plan documents -----------------------------------------------------------------------


def value_text(value: Any) -> str:
    """A value on one line: strings bare, the rest as JSON, absence as `(unset)`."""
    if value is None:
        return "(unset)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def code(value: Any) -> str:
    """A value as inline code (:func:`escape.code`), written as :func:`value_text` writes it."""
    return escape.code(value_text(value))


def _resources(doc: Mapping[str, Any] | None, type_: str) -> list[Mapping[str, Any]]:
    return [r for r in (doc or {}).get("resources", ()) if r.get("type") == type_]


def _dig(value: Any, path: str) -> Any:
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _changed(change: Change, *paths: str) -> bool:
    return any(i.path == p or i.path.startswith(p + ".") for i in change.inputs for p in paths)


def _updates(ctx: Context, type_: str) -> Iterator[Change]:
    return (c for c in ctx.changes if c.type == type_ and c.action == "update")


def _kept(ctx: Context, type_: str) -> Iterator[Change]:
    """Updates and replaces: a replaced flow goes on copying under its new settings."""
    return (c for c in ctx.changes if c.type == type_ and c.action in ("update", "replace"))


def describe(change: Change) -> str:
    """How a reviewer recognises the resource as it is now (at the base, unless it is new)."""
    inputs = (change.before or change.after).get("inputs", {})
    if change.type == KAFKA:
        return f"Kafka service {code(inputs.get('serviceName'))}"
    if change.type == MIRRORMAKER:
        return f"MirrorMaker service {code(inputs.get('serviceName'))}"
    if change.type == TOPIC:
        return f"topic {code(inputs.get('topicName'))} on {code(inputs.get('serviceName'))}"
    if change.type == FLOW:
        return _flow_text(inputs)
    if change.type == INTEGRATION:
        alias = (inputs.get("kafkaMirrormakerUserConfig") or {}).get("clusterAlias")
        return f"integration of cluster {code(alias)} with MirrorMaker {code(inputs.get('destinationServiceName'))}"
    if change.type == ENDPOINT:
        return f"external endpoint {code(inputs.get('endpointName'))}"
    if change.type == USER:
        return f"Kafka user {code(inputs.get('username'))} on {code(inputs.get('serviceName'))}"
    if change.type == ACL:
        return (
            f"ACL {code(inputs.get('permission'))} on topic {code(inputs.get('topic'))} for user "
            f"{code(inputs.get('username'))} on {code(inputs.get('serviceName'))}"
        )
    return code(change.name)


def _flow_text(inputs: Mapping[str, Any]) -> str:
    return (
        f"flow {code(inputs.get('sourceCluster'))} → {code(inputs.get('targetCluster'))} "
        f"on MirrorMaker {code(inputs.get('serviceName'))}"
    )


class _Unjudged(Exception):
    """A value a rule needs is unknown (only known after `up`) or not a number."""


# --- effective retention and cleanup policy ---------------------------------------------------------

UNLIMITED = math.inf
#: Aiven's (and Kafka's) default `log.retention.hours`: 168 (aiven-api-schemas, kafka.log_retention_hours).
DEFAULT_RETENTION_MS = 168 * 3_600_000
#: Kafka's default `cleanup.policy` (log.cleanup.policy).
DEFAULT_CLEANUP = frozenset({"delete"})


def _number(value: Any, key: str) -> float | None:
    """A retention value as a number: None when unset, unlimited when negative (`-1`)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _Unjudged(f"{key} is {value_text(value)}")
    try:
        number = int(value)
    except ValueError:
        raise _Unjudged(f"{key} is {value_text(value)}, not a number") from None
    return UNLIMITED if number < 0 else float(number)


def _kafka_settings(doc: Mapping[str, Any] | None, service: Any) -> Mapping[str, Any]:
    """The broker settings (`kafkaUserConfig.kafka`) of the Kafka service of that name in the plan."""
    for r in _resources(doc, KAFKA):
        if r["inputs"].get("serviceName") == service:
            settings = _dig(r["inputs"], "kafkaUserConfig.kafka")
            return settings if isinstance(settings, Mapping) else {}
    raise _Unjudged(f"the plan does not manage the Kafka service {code(service)}, so its settings are unknown")


def cluster_retention_ms(settings: Mapping[str, Any]) -> float:
    """`log.retention.ms`, else `log.retention.hours`, else the default (Kafka's LogConfig order)."""
    ms = _number(settings.get("logRetentionMs"), "logRetentionMs")
    if ms is not None:
        return ms
    hours = _number(settings.get("logRetentionHours"), "logRetentionHours")
    return DEFAULT_RETENTION_MS if hours is None else hours * 3_600_000


def cluster_retention_bytes(settings: Mapping[str, Any]) -> float:
    """`log.retention.bytes` per partition; unset is Kafka's default, unlimited."""
    value = _number(settings.get("logRetentionBytes"), "logRetentionBytes")
    return UNLIMITED if value is None else value


def _policy(value: Any, key: str) -> frozenset[str]:
    if not isinstance(value, str):
        raise _Unjudged(f"{key} is {value_text(value)}")
    return frozenset(p.strip() for p in value.split(",") if p.strip())


def cluster_cleanup(settings: Mapping[str, Any]) -> frozenset[str]:
    """`log.cleanup.policy` as a set; unset is Kafka's default, `delete`."""
    value = settings.get("logCleanupPolicy")
    return DEFAULT_CLEANUP if value is None else _policy(value, "logCleanupPolicy")


#: Topic key -> (cluster-level fallback, what it measures).
_TOPIC_RETENTION: dict[str, Callable[[Mapping[str, Any]], float]] = {
    "retentionMs": cluster_retention_ms,
    "retentionBytes": cluster_retention_bytes,
}


def _topic_effective(doc: Mapping[str, Any] | None, topic: Mapping[str, Any], key: str) -> float:
    own = _number(_dig(topic, f"config.{key}"), f"config.{key}")
    if own is not None:
        return own
    return _TOPIC_RETENTION[key](_kafka_settings(doc, topic.get("serviceName")))


def _topic_cleanup(doc: Mapping[str, Any] | None, topic: Mapping[str, Any]) -> frozenset[str]:
    own = _dig(topic, "config.cleanupPolicy")
    if own is not None:
        return _policy(own, "config.cleanupPolicy")
    return cluster_cleanup(_kafka_settings(doc, topic.get("serviceName")))


def human(value: float, unit: Literal["ms", "bytes"]) -> str:
    """`7 d`, `36 h`, `1.5 GB`, `unlimited`: retention as a reviewer reads it."""
    if value == UNLIMITED:
        return "unlimited"
    steps = (
        ((86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s"), (1, "ms"))
        if unit == "ms"
        else ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB"), (1, "bytes"))
    )
    for size, name in steps:
        if value >= size:
            return f"{value / size:.3g} {name}"
    return f"{value:g} {unit}"


def _kind_of(key: str) -> Literal["ms", "bytes"]:
    return "ms" if key.endswith("Ms") or key.endswith("Hours") else "bytes"


def _unjudged(change: Change, path: str, reason: str) -> Hit:
    before = next((i.before for i in change.inputs if i.path == path), None)
    after = next((i.after for i in change.inputs if i.path == path), None)
    return Hit(change.name, path, before, after, describe(change), unjudged=reason)


def _input(change: Change, path: str) -> tuple[Any, Any]:
    return _dig(change.before.get("inputs", {}), path), _dig(change.after.get("inputs", {}), path)


def _several(name: str, changed: Sequence[tuple[str, Any, Any]], what: str, detail: str = "", note: str = "") -> Hit:
    """A hit on several key paths at once: paths joined by `, `, their values by `; `."""
    return Hit(
        name,
        ", ".join(path for path, _, _ in changed),
        "; ".join(value_text(before) for _, before, _ in changed),
        "; ".join(value_text(after) for _, _, after in changed),
        what,
        detail,
        note,
    )


def _triples(inputs: Sequence[Any]) -> list[tuple[str, Any, Any]]:
    return [(i.path, i.before, i.after) for i in inputs]


# --- the checks -------------------------------------------------------------------------------------


def _lost(ctx: Context, type_: str) -> Iterator[Hit]:
    """Deletes and replaces of one resource type."""
    for c in ctx.changes:
        if c.type != type_ or c.action not in ("delete", "replace"):
            continue
        # A protected resource cannot be deleted or replaced: say so, or the finding reads as a done deal.
        guard = "It is protected: `pulumi up` refuses until `protect` is lifted." if c.before.get("protect") else ""
        if c.action == "delete":
            yield Hit(c.name, "(resource)", "declared", "deleted", describe(c) + " is deleted", note=guard)
        else:
            why = _triples([i for i in c.inputs if i.replaces])
            yield _several(c.name, why, describe(c) + " is replaced (the old one is deleted, a new one created)",
                           note=guard)


def check_service_lost(ctx: Context) -> Iterator[Hit]:
    return _lost(ctx, KAFKA)


def check_topic_lost(ctx: Context) -> Iterator[Hit]:
    return _lost(ctx, TOPIC)


def check_topic_retention(ctx: Context) -> Iterator[Hit]:
    for c in _updates(ctx, TOPIC):
        for key in _TOPIC_RETENTION:
            path = f"config.{key}"
            if not _changed(c, path):
                continue
            try:
                old = _topic_effective(ctx.base, c.before["inputs"], key)
                new = _topic_effective(ctx.head, c.after["inputs"], key)
            except _Unjudged as err:
                yield _unjudged(c, path, str(err))
                continue
            if new < old:
                before, after = _input(c, path)
                unit = _kind_of(key)
                detail = f" (effective {human(old, unit)} → {human(new, unit)})"
                yield Hit(c.name, path, before, after, describe(c), detail)


#: Cluster-level retention: which keys make up one effective value, and how to compute it.
_CLUSTER_RETENTION: tuple[tuple[tuple[str, ...], Callable[[Mapping[str, Any]], float], str], ...] = (
    (("logRetentionMs", "logRetentionHours"), cluster_retention_ms, "retentionMs"),
    (("logRetentionBytes",), cluster_retention_bytes, "retentionBytes"),
)


def _inheriting(ctx: Context, service: Any, key: str) -> list[str]:
    return sorted(
        str(r["inputs"].get("topicName"))
        for r in _resources(ctx.head, TOPIC)
        if r["inputs"].get("serviceName") == service and _dig(r["inputs"], f"config.{key}") is None
    )


def _inherit_detail(ctx: Context, service: Any, key: str) -> str:
    declared = _inheriting(ctx, service, key)
    named = ", ".join(code(t) for t in declared) if declared else "none"
    return f"; applies to every topic on it without its own `{key}` (declared here: {named}; copies and others too)"


def check_cluster_retention(ctx: Context) -> Iterator[Hit]:
    for c in _updates(ctx, KAFKA):
        for keys, effective, topic_key in _CLUSTER_RETENTION:
            paths = [f"kafkaUserConfig.kafka.{k}" for k in keys]
            if not _changed(c, *paths):
                continue
            changed = [p for p in paths if _changed(c, p)]
            try:
                old = effective(_dig(c.before["inputs"], "kafkaUserConfig.kafka") or {})
                new = effective(_dig(c.after["inputs"], "kafkaUserConfig.kafka") or {})
            except _Unjudged as err:
                yield _unjudged(c, changed[0], str(err))
                continue
            if new < old:
                unit = _kind_of(keys[0])
                yield _several(
                    c.name,
                    [(p, *_input(c, p)) for p in changed],
                    describe(c),
                    f" (effective {human(old, unit)} → {human(new, unit)})"
                    + _inherit_detail(ctx, c.after["inputs"].get("serviceName"), topic_key),
                )


def _gains(old: frozenset[str], new: frozenset[str]) -> str:
    """What a cleanup-policy change newly applies: `compact` loses every key's history, `delete`
    subjects records that compaction kept to retention."""
    return ", ".join(sorted(new - old))


def check_topic_cleanup(ctx: Context) -> Iterator[Hit]:
    for c in _updates(ctx, TOPIC):
        path = "config.cleanupPolicy"
        if not _changed(c, path):
            continue
        try:
            old = _topic_cleanup(ctx.base, c.before["inputs"])
            new = _topic_cleanup(ctx.head, c.after["inputs"])
        except _Unjudged as err:
            yield _unjudged(c, path, str(err))
            continue
        if new - old:
            before, after = _input(c, path)
            detail = f" (effective {','.join(sorted(old))} → {','.join(sorted(new))}: gains {_gains(old, new)})"
            yield Hit(c.name, path, before, after, describe(c), detail)


def check_cluster_cleanup(ctx: Context) -> Iterator[Hit]:
    for c in _updates(ctx, KAFKA):
        path = "kafkaUserConfig.kafka.logCleanupPolicy"
        if not _changed(c, path):
            continue
        try:
            old = cluster_cleanup(_dig(c.before["inputs"], "kafkaUserConfig.kafka") or {})
            new = cluster_cleanup(_dig(c.after["inputs"], "kafkaUserConfig.kafka") or {})
        except _Unjudged as err:
            yield _unjudged(c, path, str(err))
            continue
        if new - old:
            before, after = _input(c, path)
            detail = f" (gains {_gains(old, new)})" + _inherit_detail(
                ctx, c.after["inputs"].get("serviceName"), "cleanupPolicy"
            )
            yield Hit(c.name, path, before, after, describe(c), detail)


def _decreases(ctx: Context, type_: str, path: str) -> Iterator[tuple[Change, int, int]]:
    for c in _updates(ctx, type_):
        before, after = _input(c, path)
        if isinstance(before, int) and isinstance(after, int) and after < before:
            yield c, before, after


def check_partition_decrease(ctx: Context) -> Iterator[Hit]:
    for c, before, after in _decreases(ctx, TOPIC, "partitions"):
        detail = f"; keep {before}, or create a new topic"
        yield Hit(c.name, "partitions", before, after, describe(c), detail)


def _version_steps(ctx: Context, verdict: kafka_versions.Step) -> Iterator[Hit]:
    """Kafka version changes Aiven does not simply apply, as :func:`kafka_versions.step` judges them."""
    path = "kafkaUserConfig.kafkaVersion"
    for c in _updates(ctx, KAFKA):
        before, after = _input(c, path)
        if kafka_versions.step(before, after) == verdict:
            yield Hit(c.name, path, before, after, describe(c))


def check_version_downgrade(ctx: Context) -> Iterator[Hit]:
    return _version_steps(ctx, "downgrade")


def check_version_jump(ctx: Context) -> Iterator[Hit]:
    return _version_steps(ctx, "refused")


def check_version_kraft(ctx: Context) -> Iterator[Hit]:
    return _version_steps(ctx, "needs-kraft")


def check_version_from_unset(ctx: Context) -> Iterator[Hit]:
    return _version_steps(ctx, "from-unset")


def check_remote_storage_off(ctx: Context) -> Iterator[Hit]:
    path = "config.remoteStorageEnable"
    for c in _updates(ctx, TOPIC):
        before, after = _input(c, path)
        if before is True and after is not True:
            yield Hit(c.name, path, before, after, describe(c))


def check_user_removed(ctx: Context) -> Iterator[Hit]:
    return _lost(ctx, USER)


def check_acl_removed(ctx: Context) -> Iterator[Hit]:
    return _lost(ctx, ACL)


def _turned_off(ctx: Context, type_: str, *paths: str) -> Iterator[Hit]:
    for c in _updates(ctx, type_):
        for path in paths:
            before, after = _input(c, path)
            if before is True and after is not True:
                yield Hit(c.name, path, before, after, describe(c))


def check_offset_sync_off(ctx: Context) -> Iterator[Hit]:
    return _turned_off(ctx, FLOW, "syncGroupOffsetsEnabled")


def check_heartbeats_off(ctx: Context) -> Iterator[Hit]:
    return _turned_off(ctx, FLOW, "emitHeartbeatsEnabled", "emitBackwardHeartbeatsEnabled")


#: A flow without `replicationFactor` creates remote topics with the target's
#: `default.replication.factor`: Aiven's default is 3 (aiven-api-schemas service_types.yml,
#: kafka.default_replication_factor; the provider contract gives the flow's key no default).
DEFAULT_REPLICATION_FACTOR = 3


def _flow_replication_factor(doc: Mapping[str, Any] | None, flow: Mapping[str, Any]) -> int | None:
    """The flow's effective replication factor; None when unset and the target is not managed here."""
    own = flow.get("replicationFactor")
    if own is not None:
        return own if isinstance(own, int) else None
    try:
        settings = _kafka_settings(doc, _identity(doc)(str(flow.get("targetCluster"))))
    except _Unjudged:
        return None  # an external target: its default is unknown, and this rule is only advisory
    default = settings.get("defaultReplicationFactor")
    return default if isinstance(default, int) else DEFAULT_REPLICATION_FACTOR


def check_replication_factor(ctx: Context) -> Iterator[Hit]:
    for c, before, after in _decreases(ctx, TOPIC, "replication"):
        yield Hit(c.name, "replication", before, after, describe(c))
    for c in _updates(ctx, FLOW):
        if not _changed(c, "replicationFactor"):
            continue
        old = _flow_replication_factor(ctx.base, c.before["inputs"])
        new = _flow_replication_factor(ctx.head, c.after["inputs"])
        if old is not None and new is not None and new < old:
            before, after = _input(c, "replicationFactor")
            yield Hit(c.name, "replicationFactor", before, after, describe(c), f" (effective {old} → {new})")


def check_replication_pauses(ctx: Context) -> Iterator[Hit]:
    for c in ctx.changes:
        if c.type in (MIRRORMAKER, INTEGRATION, ENDPOINT, FLOW) and c.action == "replace":
            yield _several(c.name, _triples([i for i in c.inputs if i.replaces]), describe(c) + " is replaced")


def check_protect_lifted(ctx: Context) -> Iterator[Hit]:
    for c in ctx.changes:
        if c.action == "update" and c.before.get("protect") and not c.after.get("protect"):
            yield Hit(c.name, "protect", True, False, describe(c))


# --- replication that stops: the topic map's delta --------------------------------------------------

#: The inputs of a flow that decide which topics it copies, and under which names.
_FLOW_SCOPE = ("enable", "topics", "topicsBlacklists", "replicationPolicyClass", "sourceCluster", "targetCluster")
#: How many topics a finding names before it counts the rest.
_LISTED = 10


def _output(doc: Mapping[str, Any] | None, key: str) -> Any:
    return (doc or {}).get("outputs", {}).get(key)


def _identity(doc: Mapping[str, Any] | None) -> Callable[[str], str]:
    """Alias -> what identifies the cluster across both sides: its Aiven service name, else the alias."""
    names = _output(doc, "clusterServiceNames")
    names = names if isinstance(names, Mapping) else {}
    return lambda alias: str(names.get(alias, alias))


def _origins(doc: Mapping[str, Any] | None) -> dict[str, Mapping[str, Mapping[str, str]]] | None:
    origins = _output(doc, "topicOrigins")
    return dict(origins) if isinstance(origins, Mapping) else None


@dataclass(frozen=True)
class _Stopped:
    topic: str
    cluster: str
    successors: tuple[str, ...]


def _stopped_topics(ctx: Context, lost: set[str]) -> dict[str, list[_Stopped]]:
    """Flow name (`S->T`) -> the topics it delivers at the base that no flow delivers at the head."""
    base, head = _origins(ctx.base) or {}, _origins(ctx.head) or {}
    base_id, head_id = _identity(ctx.base), _identity(ctx.head)
    head_alias = {head_id(alias): alias for alias in head}
    out: dict[str, list[_Stopped]] = {}
    for alias, held in sorted(base.items()):
        if base_id(alias) in lost:
            continue  # the cluster itself is deleted or replaced: a data-loss finding says so
        now = head.get(head_alias.get(base_id(alias), ""), {})
        for topic, origin in sorted(held.items()):
            # Heartbeats are monitoring, judged by the heartbeats rule; copies are what consumers read.
            if origin.get("kind") != "replicated" or topicmap.is_heartbeats_topic(topic):
                continue
            if now.get(topic, {}).get("kind") == "replicated":
                continue
            flow = str(origin.get("flow", ""))
            source = base_id(flow.split("->", 1)[0])
            successors = tuple(
                t
                for t, o in sorted(now.items())
                if o.get("kind") == "replicated"
                and o.get("upstream") == origin.get("upstream")
                and head_id(str(o.get("flow", "")).split("->", 1)[0]) == source
            )
            out.setdefault(flow, []).append(_Stopped(topic, alias, successors))
    return out


def _stopped_text(stopped: Sequence[_Stopped]) -> str:
    parts = [
        f"{code(s.topic)} on {code(s.cluster)} stops receiving records"
        + (f", new records go to {', '.join(code(t) for t in s.successors)} from now on" if s.successors
           else ", no topic receives them instead")
        for s in stopped[:_LISTED]
    ]
    more = f"; and {len(stopped) - _LISTED} more topics" if len(stopped) > _LISTED else ""
    return "; ".join(parts) + more


def _missing_origins(ctx: Context, lost: set[str]) -> Iterator[Hit]:
    """A base planned by older code has no `topicOrigins`: name what left the topic map, unjudged."""
    def expected(doc: Mapping[str, Any] | None) -> dict[str, set[str]]:
        value = _output(doc, "expectedTopics")
        return {a: set(t) for a, t in value.items()} if isinstance(value, Mapping) else {}

    base_id, head_id = _identity(ctx.base), _identity(ctx.head)
    old, new = expected(ctx.base), {head_id(a): t for a, t in expected(ctx.head).items()}
    # A declared topic that goes is judged by `topic-lost`; only copies need the origins.
    declared = {(r["inputs"].get("serviceName"), r["inputs"].get("topicName")) for r in _resources(ctx.base, TOPIC)}
    for alias, topics in sorted(old.items()):
        gone = sorted(t for t in topics - new.get(base_id(alias), set()) if (base_id(alias), t) not in declared)
        if gone and base_id(alias) not in lost:
            yield Hit(
                alias,
                f"expectedTopics.{alias}",
                gone,
                None,
                f"cluster {code(alias)}",
                unjudged="the base plan has no `topicOrigins` output (it was planned by older code), so whether "
                f"{', '.join(code(t) for t in gone[:_LISTED])} stop receiving records cannot be told",
            )


def _lost_services(ctx: Context) -> set[str]:
    return {str(c.before["inputs"].get("serviceName")) for c in ctx.changes
            if c.type == KAFKA and c.action in ("delete", "replace")}


#: A pattern that matches one name only: letters, digits, `_`, `-` and escaped dots (`\.`).
_LITERAL = re.compile(r"(?:[A-Za-z0-9_-]|\\\.)+")


def _literal_names(patterns: Sequence[str]) -> set[str] | None:
    """The names these patterns match, when each matches one name only; else None (a regex)."""
    if not all(_LITERAL.fullmatch(p) for p in patterns):
        return None
    return {p.replace("\\.", ".") for p in patterns}


def _passes(include: Sequence[str], exclude: Sequence[str], topic: str) -> bool:
    """MirrorMaker's topic filter: the joined `topics` match in full and the joined excludes do not."""
    inc, exc = compile_joined(include), compile_joined(exclude)
    return inc is not None and inc.fullmatch(topic) is not None and not (exc is not None and exc.fullmatch(topic))


def _may_stop(old: tuple[list[str], list[str]], new: tuple[list[str], list[str]]) -> set[str] | None:
    """The topics the old filter passes and the new one does not, when finitely many can: the old
    `topics` are all literal names, or the old `topics` are kept and every added exclude is literal.
    None when a regex lets topics nobody declared stop."""
    (old_in, old_out), (new_in, new_out) = old, new
    candidates = _literal_names(old_in)
    if candidates is None and set(old_in) <= set(new_in):
        candidates = _literal_names(sorted(set(new_out) - set(old_out)))
    if candidates is None:
        return None
    return {t for t in candidates if _passes(old_in, old_out, t) and not _passes(new_in, new_out, t)}


def check_filter_narrowed(ctx: Context) -> Iterator[Hit]:
    """A flow's filter that may match fewer topics: the topic map knows only the declared topics and
    `knownTopics`, so topics created outside the stack that stop cannot be told (a filter proven to pass
    every name the old one did stays silent, and so do stopped topics all known to the map, which
    `replication-stops` names)."""
    origins = _origins(ctx.base)
    if origins is None:
        return  # a base without origins: `replication-stops` says it cannot judge
    for c in _kept(ctx, FLOW):
        before, after = c.before["inputs"], c.after["inputs"]
        if after.get("enable") is False or _copies_renamed(c):
            continue  # `replication-stops` judges every copy of the flow
        old = (list(before.get("topics") or ()), list(before.get("topicsBlacklists") or ()))
        new = (list(after.get("topics") or ()), list(after.get("topicsBlacklists") or ()))
        if set(new[0]) >= set(old[0]) and set(new[1]) <= set(old[1]):
            continue
        try:
            # Over topic names: silent only when the new filter is proven to pass every name the old one did.
            example: str | None = filterlang.stopped_example(old, new)
            why = f" (a topic named {code(example)}, for example)" if example else ""
        except (ValueError, filterlang.Unprovable) as err:
            example, why = "", f" (the filters cannot be compared exactly: {code(str(err))})"
        if example is None:
            continue
        try:
            stopping = _may_stop(old, new)
        except ValueError:
            stopping = None  # a pattern the config check let through but Python cannot read: judge by hand
        known = set(origins.get(str(before.get("sourceCluster")), {}))
        if stopping is not None and stopping <= known:
            continue
        target = code(before.get("targetCluster"))
        detail = (
            f": it may stop copying to {target} topics the topic map does not know{why}"
            if stopping is None
            else f": {', '.join(code(t) for t in sorted(stopping - known)[:_LISTED])} would stop receiving records "
            f"on {target}, and the topic map does not know whether they exist"
        )
        changed = [(p, *_input(c, p)) for p in ("topics", "topicsBlacklists") if _changed(c, p)]
        yield _several(c.name, changed, _flow_text(before), detail)


IDENTITY_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"


def _copies_renamed(c: Change) -> bool:
    """Whether a flow change renames its copies: another policy, or another source alias when a side
    uses a policy that prefixes it (unset is MirrorMaker's default policy, which does)."""
    if _changed(c, "replicationPolicyClass"):
        return True
    policies = {side.get("inputs", {}).get("replicationPolicyClass") for side in (c.before, c.after)}
    return _changed(c, "sourceCluster") and policies != {IDENTITY_POLICY}


def check_replication_restarts(ctx: Context) -> Iterator[Hit]:
    """A flow whose cluster alias changes while its copies keep their names: MirrorMaker knows
    clusters by alias, so the flow is a new one and its stored progress may not carry over."""
    for c in _kept(ctx, FLOW):
        if c.after["inputs"].get("enable") is False:
            continue
        aliases = [(i.path, i.before, i.after) for i in c.inputs if i.path in ("sourceCluster", "targetCluster")]
        if aliases and not _copies_renamed(c):
            yield _several(c.name, aliases, _flow_text(c.before["inputs"]), ": the copies keep their names")


def check_replication_stops(ctx: Context) -> Iterator[Hit]:
    lost = _lost_services(ctx)
    if _origins(ctx.base) is None and ctx.base is not None:
        yield from _missing_origins(ctx, lost)
    stopped = _stopped_topics(ctx, lost)
    change_of = {c.renamed_from or c.urn: c for c in ctx.changes if c.before}
    base_id = _identity(ctx.base)
    for r in sorted(_resources(ctx.base, FLOW), key=lambda r: str(r["name"])):
        inputs = r["inputs"]
        flow = f"{inputs.get('sourceCluster')}->{inputs.get('targetCluster')}"
        topics = stopped.pop(flow, [])
        c = change_of.get(r["urn"])
        if inputs.get("enable") is False or base_id(str(inputs.get("targetCluster"))) in lost:
            continue
        deleted = c is not None and c.action == "delete"
        disabled = c is not None and not deleted and c.after["inputs"].get("enable") is False
        scope = [i for i in (c.inputs if c else ()) if i.path in _FLOW_SCOPE]
        # Another policy, or another source alias under a policy that prefixes it, renames every copy,
        # known to the topic map or not; under identity the names stay (`replication-restarts`).
        renamed = c is not None and _copies_renamed(c)
        if not topics and not (deleted or disabled or renamed):
            continue
        detail = (
            ": " + _stopped_text(topics)
            if topics
            else ": the topic map knows none of the topics it copies (a source without declared or `knownTopics`), "
            "so every topic it copies stops receiving records"
        )
        name = c.name if c else str(r["name"])  # renamed through an alias: its new name, as in the changes
        if deleted:
            yield Hit(name, "(resource)", "declared", "deleted", f"{_flow_text(inputs)} is deleted", detail)
        elif scope:
            yield _several(name, _triples(scope), _flow_text(inputs), detail)
        else:
            target = str(inputs.get("targetCluster"))
            yield Hit(
                name,
                f"expectedTopics.{target}",
                [s.topic for s in topics],
                [t for s in topics for t in s.successors] or None,
                _flow_text(inputs) + " (its source topics are gone or no longer received)",
                detail,
            )
    for flow, topics in sorted(stopped.items()):  # copies by a flow the base's resources do not show
        target = topics[0].cluster
        yield Hit(
            flow,
            f"expectedTopics.{target}",
            [s.topic for s in topics],
            [t for s in topics for t in s.successors] or None,
            f"flow {code(flow)}",
            ": " + _stopped_text(topics),
        )


REFRESH_PATH = "kafkaMirrormakerUserConfig.kafkaMirrormaker.refreshTopicsEnabled"


def check_topic_refresh_off(ctx: Context) -> Iterator[Hit]:
    for c in _kept(ctx, MIRRORMAKER):
        before, after = _input(c, REFRESH_PATH)
        if before is not False and after is False:
            service = c.after["inputs"].get("serviceName")
            flows = sorted(_flow_text(r["inputs"]) for r in _resources(ctx.head, FLOW)
                           if r["inputs"].get("serviceName") == service and r["inputs"].get("enable") is not False)
            yield Hit(c.name, REFRESH_PATH, before, after, describe(c),
                      f" (its flows: {', '.join(flows) or 'none'})")


def _flows_without_refresh(doc: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """`S->T` -> the flow resource, for the enabled flows of MirrorMakers with topic refresh off."""
    off = {r["inputs"].get("serviceName") for r in _resources(doc, MIRRORMAKER)
           if _dig(r["inputs"], REFRESH_PATH) is False}
    return {
        f"{r['inputs'].get('sourceCluster')}->{r['inputs'].get('targetCluster')}": r
        for r in _resources(doc, FLOW)
        if r["inputs"].get("serviceName") in off and r["inputs"].get("enable") is not False
    }


def check_copy_without_refresh(ctx: Context) -> Iterator[Hit]:
    flows = _flows_without_refresh(ctx.head)
    if not flows:
        return
    base = _origins(ctx.base) or {}
    new: dict[str, list[tuple[str, str]]] = {}
    for held in (_origins(ctx.head) or {}).values():
        for topic, origin in sorted(held.items()):
            flow = str(origin.get("flow", ""))
            if origin.get("kind") != "replicated" or flow not in flows:
                continue
            if str(origin.get("upstream")) in base.get(flow.split("->", 1)[0], {}):
                continue  # its source topic exists at the base: copied, or judged by `replication-stops`
            new.setdefault(flow, []).append((str(origin.get("upstream")), topic))
    for flow, topics in sorted(new.items()):
        resource = flows[flow]
        sources = ", ".join(code(t) for t, _ in topics[:_LISTED]) + (" …" if len(topics) > _LISTED else "")
        yield Hit(
            str(resource["name"]),
            f"expectedTopics.{resource['inputs'].get('targetCluster')}",
            None,
            [copy for _, copy in topics],
            _flow_text(resource["inputs"]) + " (with `refreshTopicsEnabled: false`)",
            f": its source topics {sources} are new, and the flow copies only the topics its source has when it starts",
        )


# --- the table ----------------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule(
        "service-lost", "data-loss", "Kafka service",
        "deleted, or replaced (a change to an input the provider cannot update in place, such as `serviceName`)",
        "Every topic and record on the service is lost, and a replacement starts empty.",
        check_service_lost,
    ),
    Rule(
        "topic-lost", "data-loss", "Kafka topic",
        "deleted, or replaced (`topicName`, `serviceName`, `project`)",
        "Its records are lost, and a replacement starts empty.",
        check_topic_lost,
    ),
    Rule(
        "topic-retention-cut", "data-loss", "Kafka topic",
        "`config.retentionMs` or `config.retentionBytes` changes and the effective value shrinks (unset inherits the "
        "cluster's value; `-1` is unlimited)",
        "Kafka deletes the records beyond the new limit within minutes, at the log cleaner's next check, and nothing "
        "brings them back.",
        check_topic_retention,
        per_path=True,
    ),
    Rule(
        "cluster-retention-cut", "data-loss", "Kafka service",
        "`kafkaUserConfig.kafka.logRetentionMs` or `logRetentionHours` (the broker takes `logRetentionMs` when set; "
        "default 168 hours) or `logRetentionBytes` changes and the effective value shrinks",
        "Every topic on the cluster without its own value, remote copies included, deletes the records beyond the "
        "new limit within minutes, and nothing brings them back.",
        check_cluster_retention,
    ),
    Rule(
        "topic-cleanup-policy", "data-loss", "Kafka topic",
        "`config.cleanupPolicy` (unset inherits the cluster's `logCleanupPolicy`, default `delete`) gains `compact` "
        "or `delete`",
        "Gaining `compact` keeps only the latest record of each key, so the history of every key is lost; gaining "
        "`delete` subjects the records compaction kept to retention.",
        check_topic_cleanup,
    ),
    Rule(
        "cluster-cleanup-policy", "data-loss", "Kafka service",
        "`kafkaUserConfig.kafka.logCleanupPolicy` (default `delete`) gains `compact` or `delete`",
        "Every topic on the cluster without its own `cleanupPolicy` loses the history of its keys (`compact`) or "
        "the records compaction kept (`delete`).",
        check_cluster_cleanup,
    ),
    Rule(
        "replication-stops", "replication-stops", "replicated topic",
        "a topic a cluster receives through a flow at the base (`topicOrigins`) is not received at the head: "
        "narrower `topics`, a `topicsExclude` that matches it, another `replicationPolicy`, a renamed source alias, "
        "a disabled or deleted flow or MirrorMaker, a deleted source topic",
        "The old topic keeps the records it has and receives nothing more, so its consumers and anyone failing over "
        "to it read a copy that silently ages; a new topic, where one is named, starts without that history, and "
        "translated consumer-group offsets do not carry over to it.",
        check_replication_stops,
    ),
    Rule(
        "flow-filter-narrowed", "cannot-judge", "flow",
        "`topics` or `topicsExclude` (`topicsBlacklists`) may match fewer topics: patterns that can match topics "
        "the topic map does not know (it knows declared topics and `knownTopics`), or literal names it does not know "
        "(silent only when the new filter is proven to pass every topic name the old one passed, by comparing their "
        "automata over topic names; the finding names a topic that would stop, or says why the filters cannot be "
        "compared: lookaround, `\\b`, possessive or atomic groups)",
        "Topics created outside the stack that no longer match stop receiving records on the target, and the topic "
        "map cannot tell which: check by hand which topics stop (`replication-stops` names the ones the map knows).",
        check_filter_narrowed,
    ),
    Rule(
        "partition-decrease", "cannot-apply", "Kafka topic",
        "`partitions` decreases",
        "Kafka cannot remove partitions from a topic, so `pulumi up` fails, possibly after other changes were "
        "applied.",
        check_partition_decrease,
    ),
    Rule(
        "version-downgrade", "cannot-apply", "Kafka service",
        "`kafkaUserConfig.kafkaVersion` decreases",
        "Aiven upgrades Kafka in place and has no downgrade, so `pulumi up` fails, possibly after other changes "
        "were applied.",
        check_version_downgrade,
    ),
    Rule(
        "version-jump-refused", "cannot-apply", "Kafka service",
        f"`kafkaUserConfig.kafkaVersion` from below {kafka_versions.BRIDGE} to 4.x",
        f"{kafka_versions.PATH}, so `pulumi up` fails, possibly after other changes were applied: upgrade to "
        f"{kafka_versions.BRIDGE} first, then to 4.x.",
        check_version_jump,
    ),
    Rule(
        "version-needs-kraft", "cannot-judge", "Kafka service",
        f"`kafkaUserConfig.kafkaVersion` from {kafka_versions.BRIDGE} to 4.x",
        kafka_versions.KRAFT_PREREQUISITE[0].upper() + kafka_versions.KRAFT_PREREQUISITE[1:]
        + ": check that the service runs KRaft, or `pulumi up` fails.",
        check_version_kraft,
    ),
    Rule(
        "version-from-unset", "cannot-judge", "Kafka service",
        "`kafkaUserConfig.kafkaVersion` from unset to a version, on an existing service (a new one is fine)",
        kafka_versions.UNKNOWN_RUNNING[0].upper() + kafka_versions.UNKNOWN_RUNNING[1:]
        + ": check the version the service runs (Aiven console, `avn service get`), or `pulumi up` may fail.",
        check_version_from_unset,
    ),
    Rule(
        "remote-storage-off", "cannot-apply", "Kafka topic",
        "`config.remoteStorageEnable` `true` → `false` or unset",
        "Kafka refuses to turn tiered storage off for a topic unless its remote records are deleted "
        "(`remote.log.delete.on.disable`, which the provider cannot set), so `pulumi up` fails.",
        check_remote_storage_off,
    ),
    Rule(
        "user-removed", "access-removed", "Kafka user",
        "deleted, or replaced (`username`, `serviceName`, `project`)",
        "Clients that authenticate as this user on this cluster are refused from then on; a replacement gets a new "
        "password.",
        check_user_removed,
    ),
    Rule(
        "acl-removed", "access-removed", "Kafka ACL entry",
        "deleted, or replaced (`permission`, `topic`, `username`): a narrower permission is a delete and a create",
        "The user's clients lose this permission on the topics it matched from then on.",
        check_acl_removed,
    ),
    Rule(
        "group-offset-sync-off", "advisory", "flow",
        "`syncGroupOffsetsEnabled` `true` → `false`",
        "Consumers that fail over to the target find no translated position and start from their "
        "`auto.offset.reset`.",
        check_offset_sync_off,
    ),
    Rule(
        "heartbeats-off", "advisory", "flow",
        "`emitHeartbeatsEnabled` or `emitBackwardHeartbeatsEnabled` `true` → `false`",
        "The `heartbeats` topic receives no more beats, so replication monitoring and lag alerts built on it go "
        "silent.",
        check_heartbeats_off,
        per_path=True,
    ),
    Rule(
        "replication-factor-lower", "advisory", "Kafka topic or flow",
        "topic `replication` or flow `replicationFactor` decreases (unset is the target's "
        "`defaultReplicationFactor`, Aiven's default 3)",
        "Fewer copies of each partition, so losing a broker can make a partition unavailable or lose records not yet "
        "replicated.",
        check_replication_factor,
    ),
    Rule(
        "replication-pauses", "advisory", "MirrorMaker, integration, external endpoint or flow",
        "replaced",
        "Replication through it pauses until the new one is running.",
        check_replication_pauses,
    ),
    Rule(
        "replication-restarts", "advisory", "flow",
        "`sourceCluster` or `targetCluster` (a cluster alias) changes and the copies keep their names (the identity "
        "policy, or a renamed target alias)",
        "MirrorMaker knows clusters by alias, so the flow is replaced by a new one whose stored progress may not "
        "carry over: it may copy the source's retained history again, leaving duplicates on the target.",
        check_replication_restarts,
    ),
    Rule(
        "topic-refresh-off", "replication-stops", "MirrorMaker",
        "`kafkaMirrormakerUserConfig.kafkaMirrormaker.refreshTopicsEnabled` `true` or unset → `false`",
        "MirrorMaker lists the source's topics and partitions only when a flow starts, so those created later "
        "(partitions added to a copied topic too) are not copied until the flow restarts, although "
        "`expectedTopics` and the failover map list their copies.",
        check_topic_refresh_off,
    ),
    Rule(
        "copy-without-refresh", "cannot-judge", "replicated topic",
        "a copy the topic map adds (`topicOrigins`) of a source topic that is new at the head, by a flow whose "
        "MirrorMaker has `refreshTopicsEnabled: false`",
        "Whether it is copied depends on when the flow last started, which the plan cannot know: restart the flow "
        "(or turn topic refresh on) and check that the copy exists.",
        check_copy_without_refresh,
    ),
    Rule(
        "protect-lifted", "advisory", "any resource",
        "`protect` `true` → `false`",
        "`pulumi up` may delete or replace it from now on.",
        check_protect_lifted,
    ),
)

#: Edits the rules leave silent on purpose (docs/pr-review.md lists them under the table).
SILENT = (
    "more partitions",
    "longer retention, or `-1` (unlimited)",
    "`localRetentionMs`/`localRetentionBytes` (with tiered storage they only move older segments to the remote tier)",
    "a new flow, topic, cluster or MirrorMaker (but a new topic under `refreshTopicsEnabled: false` is a finding)",
    "refresh intervals and other MirrorMaker tuning (turning topic refresh off is a finding)",
    "another cloud or plan",
)


def _message(rule: Rule, hit: Hit) -> str:
    change = "" if hit.path.startswith("(") else f": {code(hit.path)} {code(hit.before)} → {code(hit.after)}"
    if hit.unjudged is not None:
        return f"{hit.what}{change}: rule `{rule.id}` cannot be judged: {hit.unjudged}; check it by hand."
    return " ".join(filter(None, (f"{hit.what}{change}{hit.detail}.", rule.consequence, hit.note)))


def judge(base: Mapping[str, Any] | None, head: Mapping[str, Any], changes: Sequence[Change]) -> tuple[Finding, ...]:
    """Every rule's findings, most severe class first, in table order within a class."""
    ctx = Context(base, head, changes)
    found = [
        Finding(
            "cannot-judge" if hit.unjudged is not None else rule.cls,
            rule.id, hit.name, hit.path, hit.before, hit.after, _message(rule, hit),
        )
        for rule in RULES
        for hit in rule.check(ctx)
    ]
    order = list(CLASSES)
    return tuple(sorted(found, key=lambda f: order.index(f.cls)))


def markdown_tables() -> str:
    """The tables of docs/pr-review.md's section: the classes, the rules, and what stays silent."""
    def row(*cells: str) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [row("class", "meaning", "`diff` exits 1"), row("---", "---", "---")]
    lines += [row(f"`{c}`", info.meaning, info.fails.replace("--fail-on-data-loss", "`--fail-on-data-loss`"))
              for c, info in CLASSES.items()]
    lines += ["", row("class", "rule", "on", "when", "consequence"), row("---", "---", "---", "---", "---")]
    lines += [row(f"`{r.cls}`", f"`{r.id}`", r.subject, r.trigger, r.consequence) for r in RULES]
    lines += ["", "Silent on purpose: " + "; ".join(SILENT) + "."]
    return "\n".join(lines) + "\n"
