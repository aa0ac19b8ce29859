"""Kafka's LogConfig bounds on topic `config` values (review item A4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replication import config, topic_bounds
from replication.topic_bounds import BOUNDS
from tests.conftest import ROOT
from tests.test_config import dev_raw, errors_of

BOUNDED = sorted(k for k, b in BOUNDS.items() if b.low is not None)
PROVIDER_MINIMUM = {"minInsyncReplicas", "segmentMs", "segmentBytes"}  # segmentBytes: >= 14 on 3.x
DEV_VERSION = dev_raw()["clusters"]["source"].get("kafkaVersion")
PREFIX = "aiven-kafka-replication:clusters.source.topics.topic-a.config"


def with_topic_config(settings: dict[str, Any], kafka_version: str | None = "as in dev") -> dict[str, Any]:
    raw = dev_raw()
    raw["clusters"]["source"]["topics"]["topic-a"]["config"] = settings
    if kafka_version is None:
        del raw["clusters"]["source"]["kafkaVersion"]
    elif kafka_version != "as in dev":
        raw["clusters"]["source"]["kafkaVersion"] = kafka_version
    return raw


def _wire(key: str, number: int | float) -> Any:
    # The provider types most of these as strings; minCleanableDirtyRatio is a number.
    return number if BOUNDS[key].kind == "DOUBLE" else str(number)


@pytest.mark.parametrize("key", BOUNDED)
def test_just_below_the_bound_is_refused_naming_key_value_and_bound(key: str) -> None:
    bound = BOUNDS[key]
    low = topic_bounds.low_for(bound, DEV_VERSION)
    assert low is not None
    below = low - (0.01 if bound.kind == "DOUBLE" else 1)
    [error] = errors_of(with_topic_config({key: _wire(key, below)}))
    assert error.startswith(f"{PREFIX}.{key}: ")
    assert f"at least {low}" in error and repr(_wire(key, below)) in error
    # The provider contract's own minimum answers first, without
    # quoting LogConfig; every other key is refused by Kafka's table.
    assert bound.validator in error or key in PROVIDER_MINIMUM


@pytest.mark.parametrize("key", BOUNDED)
def test_on_the_bound_is_accepted(key: str) -> None:
    low = topic_bounds.low_for(BOUNDS[key], DEV_VERSION)
    assert low is not None
    cfg = config.parse(with_topic_config({key: _wire(key, low)}))
    assert cfg.clusters["source"].topics["topic-a"].config is not None


@pytest.mark.parametrize("key", sorted(k for k, b in BOUNDS.items() if b.kind != "DOUBLE"))
def test_past_the_java_type_is_refused_and_its_maximum_accepted(key: str) -> None:
    top = topic_bounds.INT_MAX if BOUNDS[key].kind == "INT" else topic_bounds.LONG_MAX
    assert topic_bounds.check_value(key, str(top)) is None
    message = topic_bounds.check_value(key, str(top + 1))
    assert message is not None and f"to {top}" in message and repr(str(top + 1)) in message


def test_the_review_examples_are_refused() -> None:
    errors = errors_of(with_topic_config({
        "retentionMs": "-2", "deleteRetentionMs": "-1", "maxMessageBytes": "-1",
        "maxCompactionLagMs": "0", "localRetentionMs": "-3",
    }))
    assert sorted(errors) == sorted([
        f"{PREFIX}.retentionMs: must be at least -1 (LogConfig: atLeast(-1)); got '-2'",
        f"{PREFIX}.deleteRetentionMs: must be at least 0 (LogConfig: atLeast(0)); got '-1'",
        f"{PREFIX}.maxMessageBytes: must be at least 0 (LogConfig: atLeast(0)); got '-1'",
        f"{PREFIX}.maxCompactionLagMs: must be at least 1 (LogConfig: atLeast(1)); got '0'",
        f"{PREFIX}.localRetentionMs: must be at least -2 (LogConfig: atLeast(-2)); got '-3'",
    ])


def test_a_number_written_without_quotes_is_checked_too() -> None:
    [error] = errors_of(with_topic_config({"retentionMs": -2}))
    assert error == f"{PREFIX}.retentionMs: must be at least -1 (LogConfig: atLeast(-1)); got '-2'"


def test_fractions_are_refused_as_kafka_parses_whole_numbers() -> None:
    [error] = errors_of(with_topic_config({"retentionMs": "1.5"}))
    assert error == f"{PREFIX}.retentionMs: Kafka's retention.ms is LONG, a whole number; got '1.5'"


def test_min_compaction_lag_above_max_is_refused() -> None:
    [error] = errors_of(with_topic_config({"minCompactionLagMs": "10", "maxCompactionLagMs": "9"}))
    assert error == (f"{PREFIX}.minCompactionLagMs: must not exceed maxCompactionLagMs (9); got '10' "
                     "(LogConfig.validateValues)")
    config.parse(with_topic_config({"minCompactionLagMs": "9", "maxCompactionLagMs": "9"}))


def test_segment_bytes_minimum_follows_the_kafka_version() -> None:
    # Kafka 4.0 raised it from 14 to 1 MiB; an unset version may be Aiven's 4.x default.
    for version in (None, "4.0"):
        [error] = errors_of(with_topic_config({"segmentBytes": "1048575"}, version))
        assert "at least 1048576 on Kafka 4.0 and later" in error and "'1048575'" in error
    config.parse(with_topic_config({"segmentBytes": "14"}, "3.9"))
    assert errors_of(with_topic_config({"segmentBytes": "13"}, "3.9")) != []


@given(key=st.sampled_from(BOUNDED), data=st.data())
def test_every_value_is_judged_by_its_bound(key: str, data: st.DataObject) -> None:
    bound = BOUNDS[key]
    assert bound.low is not None
    high = bound.high if bound.high is not None else (
        topic_bounds.INT_MAX if bound.kind == "INT" else topic_bounds.LONG_MAX)
    number: int | float
    if bound.kind == "DOUBLE":
        number = data.draw(st.floats(-10, 10, allow_nan=False))
        value: Any = number
    else:
        number = data.draw(st.integers(int(bound.low) - 2**40, int(high) + 2**40))
        value = str(number)
    message = topic_bounds.check_value(key, value)
    assert (message is None) == (bound.low <= number <= high)
    if message is not None:
        assert repr(value) in message


def test_every_numeric_topic_setting_of_the_provider_has_a_kafka_bound() -> None:
    types = json.loads((ROOT / "replication" / "provider_types.json").read_text())["types"]
    props = types["aiven:index/KafkaTopicConfig:KafkaTopicConfig"]["properties"]
    numeric = {k for k, p in props.items() if p["type"] in ("string", "number", "integer")
               and "x-enumFromDescription" not in p}
    assert numeric == set(BOUNDS)


def test_every_committed_stack_and_example_keeps_its_topic_configs() -> None:
    # Their topic configs (if any) are within Kafka's bounds: the plan tests also plan them.
    for path in [*ROOT.glob("Pulumi.*.yaml"), *ROOT.glob("examples/*.yaml")]:
        text = path.read_text()
        doc = __import__("yaml").safe_load(text)
        raw = doc.get("config", doc)
        clusters = raw.get("aiven-kafka-replication:clusters", raw.get("clusters", {})) or {}
        for alias, cluster in clusters.items():
            for name, topic in (cluster.get("topics") or {}).items():
                wire = {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                        for k, v in (topic.get("config") or {}).items()}
                assert list(topic_bounds.check_config(wire, f"{alias}.{name}", cluster.get("kafkaVersion"))) == []


# --- tiered storage: LogConfig's cross-field checks (REVIEW2 3, /tmp/r2/tier*.yaml) ----------------

TIERED_OFF = (
    f"{PREFIX}.remoteStorageEnable: needs the cluster's tiered storage, which is off: set "
    "clusters.source.tieredStorage.enabled: true{version} (LogConfig.validateRemoteStorageOnlyIfSystemEnabled)"
)
ON_3_2 = " on Kafka 3.6 or later (clusters.source.kafkaVersion is '3.2')"


def tiered(settings: dict[str, Any], *, enabled: bool | None = True, version: str = "3.9",
           kafka: dict[str, Any] | None = None) -> dict[str, Any]:
    raw = with_topic_config({"remoteStorageEnable": True, **settings}, version)
    if enabled is not None:
        raw["clusters"]["source"]["tieredStorage"] = {"enabled": enabled}
    raw["clusters"]["source"]["kafka"].update(kafka or {})
    return raw


def test_the_review_examples_of_tiered_storage_are_refused() -> None:
    # tier.yaml: the dev stack (Kafka 3.2) has no way to turn tiered storage on.
    assert errors_of(tiered({"localRetentionMs": "3600000"}, enabled=None, version="3.2")) == [
        TIERED_OFF.format(version=ON_3_2)
    ]
    # tier2.yaml: compaction.
    assert errors_of(tiered({"cleanupPolicy": "compact"}, enabled=None, version="3.2")) == [
        TIERED_OFF.format(version=ON_3_2),
        f"{PREFIX}.cleanupPolicy: remote storage supports only cleanupPolicy delete; the effective one is 'compact' "
        f"({PREFIX.removeprefix('aiven-kafka-replication:')}.cleanupPolicy) "
        "(LogConfig.validateNoRemoteStorageForCompactedTopic)",
    ]
    # tier3.yaml: local retention above the total, in time and in size.
    config_path = PREFIX.removeprefix("aiven-kafka-replication:")
    assert errors_of(tiered({"retentionMs": "3600000", "localRetentionMs": "86400000", "retentionBytes": "1000",
                             "localRetentionBytes": "5000"})) == [
        f"{PREFIX}.localRetentionMs: with remoteStorageEnable, the local retention must not be more than the total: "
        f"localRetentionMs 86400000 ({config_path}.localRetentionMs) against retentionMs 3600000 "
        f"({config_path}.retentionMs) (LogConfig.validateRemoteStorageRetentionTime)",
        f"{PREFIX}.localRetentionBytes: with remoteStorageEnable, the local retention must not be more than the total: "
        f"localRetentionBytes 5000 ({config_path}.localRetentionBytes) against retentionBytes 1000 "
        f"({config_path}.retentionBytes) (LogConfig.validateRemoteStorageRetentionSize)",
    ]


def test_tiered_storage_on_a_recent_kafka_with_delete_and_smaller_local_retention_plans() -> None:
    cfg = config.parse(tiered({"retentionMs": "86400000", "localRetentionMs": "3600000", "cleanupPolicy": "delete"}))
    assert cfg.clusters["source"].tiered_storage == config.TieredStorage(enabled=True)
    # Unset kafkaVersion is Aiven's default: not refused, but warned about (below).
    raw = tiered({})
    del raw["clusters"]["source"]["kafkaVersion"]
    config.parse(raw)


UNSET = ("tiered storage needs Kafka 3.6 or later (KIP-405) and clusters.source.kafkaVersion is unset: the version "
         "Aiven runs is its default, which cannot be known offline; set kafkaVersion to 3.6 or later")


@pytest.mark.parametrize(
    ("enabled", "version", "where"),
    [(True, None, "aiven-kafka-replication:clusters.source.tieredStorage.enabled"),
     (True, "3.6", None), (True, "4.1", None)],
)
def test_tiered_storage_with_no_kafka_version_is_warned(enabled: bool | None, version: str | None,
                                                        where: str | None) -> None:
    raw = tiered({}, enabled=enabled)
    if version is None:
        del raw["clusters"]["source"]["kafkaVersion"]
    else:
        raw["clusters"]["source"]["kafkaVersion"] = version
    found = [str(w) for w in config.tiered_storage_warnings(config.parse(raw))]
    assert found == ([] if where is None else [f"{where}: {UNSET}"])


def test_no_tiered_storage_and_no_kafka_version_is_not_warned() -> None:
    raw = dev_raw()
    for cluster in raw["clusters"].values():
        cluster.pop("kafkaVersion", None)
    assert config.tiered_storage_warnings(config.parse(raw)) == []


def test_tiered_storage_turned_off_explicitly_is_off() -> None:
    assert errors_of(tiered({}, enabled=False)) == [TIERED_OFF.format(version="")]


def test_a_cluster_on_kafka_before_3_6_cannot_enable_tiered_storage() -> None:
    raw = tiered({}, version="3.5")
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.source.tieredStorage.enabled: tiered storage needs Kafka 3.6 or later "
        "(KIP-405); clusters.source.kafkaVersion is '3.5'"
    ]


@pytest.mark.parametrize(
    ("settings", "kafka", "refused"),
    [
        # Local -2 is "the same as the total": never refused.
        ({"retentionMs": "1000", "localRetentionMs": "-2"}, {}, None),
        # An unlimited total (retention.ms -1, any negative retention.bytes) bounds nothing, local -1 included.
        ({"retentionMs": "-1", "localRetentionMs": "-1"}, {}, None),
        ({"retentionBytes": "-5", "localRetentionBytes": "-1"}, {}, None),
        # A finite total refuses an unlimited local retention.
        ({"retentionMs": "1000", "localRetentionMs": "-1"}, {}, "localRetentionMs -1 (unlimited)"),
        # Equal is allowed.
        ({"retentionBytes": "1000", "localRetentionBytes": "1000"}, {}, None),
        # The cluster's total: log.retention.hours (168 h by default) when the topic sets none.
        ({"localRetentionMs": str(168 * 3_600_000 + 1)}, {}, "against retentionMs 604800000 (clusters.source.kafka)"),
        ({"localRetentionMs": "7200000"}, {"logRetentionHours": 1}, "against retentionMs 3600000"),
        # dev's logRetentionBytes is 1000000000.
        ({"localRetentionBytes": "1000000001"}, {}, "against retentionBytes 1000000000 (clusters.source.kafka)"),
        # The cluster's local value, on a topic that sets none.
        ({"retentionMs": "1000"}, {"logLocalRetentionMs": 2000}, "localRetentionMs 2000 (clusters.source.kafka.logLocalRetentionMs)"),
    ],
)
def test_local_retention_against_the_total_as_kafka_judges_it(
    settings: dict[str, Any], kafka: dict[str, Any], refused: str | None
) -> None:
    raw = tiered(settings, kafka=kafka)
    if refused is None:
        config.parse(raw)
    else:
        assert [refused in line for line in errors_of(raw)] == [True]


def test_the_clusters_compact_policy_applies_to_topics_without_their_own() -> None:
    assert errors_of(tiered({}, kafka={"logCleanupPolicy": "compact,delete"})) == [
        f"{PREFIX}.remoteStorageEnable: remote storage supports only cleanupPolicy delete; the effective one is "
        "'compact,delete' (clusters.source.kafka.logCleanupPolicy) (LogConfig.validateNoRemoteStorageForCompactedTopic)"
    ]
    config.parse(tiered({"cleanupPolicy": "delete"}, kafka={"logCleanupPolicy": "compact"}))


def test_tiered_storage_is_only_for_clusters_the_stack_manages() -> None:
    raw = dev_raw()
    raw["clusters"]["legacy"] = {"existing": True, "serviceName": "legacy", "tieredStorage": {"enabled": True}}
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.legacy.tieredStorage: not allowed on an existing cluster: this stack does "
        "not manage it"
    ]


def test_tiered_storage_reaches_the_kafka_service(run_stack: Any) -> None:
    raw = tiered({"localRetentionMs": "3600000"})
    # The target holds the copy, which carries remote.storage.enable (topicrules.copied_remote_storage).
    raw["clusters"]["target"].update(kafkaVersion="3.9", tieredStorage={"enabled": True})
    result = run_stack("dev", clusters=raw["clusters"])
    source = next(r for r in result.of_type("aiven:index/kafka:Kafka") if r.inputs["serviceName"] == "source")
    assert source.inputs["kafkaUserConfig"]["tieredStorage"] == {"enabled": True}
    topic = next(r for r in result.of_type("aiven:index/kafkaTopic:KafkaTopic") if r.inputs["topicName"] == "topic-a")
    assert topic.inputs["config"] == {"remoteStorageEnable": True, "localRetentionMs": "3600000"}
