"""Config validation: the model on its own, and the program refusing bad config before declaring anything."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from replication import config
from replication.engine import ProgramError, run_program
from tests.conftest import ROOT


def dev_raw() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in doc.items() if k.startswith("aiven-kafka-replication:")}


def errors_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    return [str(issue) for issue in info.value.issues]


def test_dev_config_parses() -> None:
    cfg = config.parse(dev_raw())
    assert list(cfg.clusters) == ["source", "target"]
    assert cfg.clusters["source"].resolved_service_name("source") == "source"
    assert cfg.flow_mirrormaker(cfg.flows[0]) == "mm"
    assert cfg.flows[0].replication_policy_class.endswith("DefaultReplicationPolicy")


def test_unknown_key_is_a_typo() -> None:
    raw = dev_raw()
    raw["clusters"]["source"]["plann"] = "business-4"
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.source.plann: unknown key (a typo?) with value 'business-4'; did you mean 'plan'?"
    ]


def test_kafka_version_read_as_a_number() -> None:
    raw = dev_raw()
    raw["clusters"]["source"]["kafkaVersion"] = 3.1  # what YAML makes of `kafkaVersion: 3.10`
    [error] = errors_of(raw)
    assert error.startswith("aiven-kafka-replication:clusters.source.kafkaVersion: ")
    assert "YAML read it as the number 3.1" in error and '"3.10"' in error


def test_pass_through_block_is_checked_against_the_contract() -> None:
    raw = dev_raw()
    raw["clusters"]["target"]["kafka"]["logRetentionBytes"] = "lots"
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.target.kafka.logRetentionBytes: "
        "Input should be a valid integer, got 'lots'"
    ]


def test_flow_to_unknown_cluster_names_the_choices() -> None:
    raw = dev_raw()
    raw["flows"][0]["target"] = "tagret"
    assert errors_of(raw) == [
        "aiven-kafka-replication:flows[0].target: unknown cluster 'tagret' (declared: source, target)"
    ]


def test_mirrormaker_is_required_when_ambiguous() -> None:
    raw = dev_raw()
    raw["mirrormakers"]["mm2"] = copy.deepcopy(raw["mirrormakers"]["mm"])
    del raw["flows"][0]["mirrormaker"]
    assert errors_of(raw) == [
        "aiven-kafka-replication:flows[0].mirrormaker: required when several MirrorMakers are declared (mm, mm2)"
    ]


def test_missing_required_key() -> None:
    raw = dev_raw()
    del raw["clusters"]["source"]["plan"]
    assert errors_of(raw) == ["aiven-kafka-replication:clusters.source.plan: required key is missing"]


def test_every_issue_is_reported_at_once() -> None:
    raw = dev_raw()
    raw["clusters"]["source"]["topics"]["topic-a"]["partitions"] = 0
    raw["mirrormakers"]["mm"]["ipFilter"] = ["10.0.0.1/8"]
    errors = errors_of(raw)
    assert len(errors) == 2
    assert errors[0].startswith("aiven-kafka-replication:clusters.source.topics.topic-a.partitions: ")
    assert errors[1].startswith("aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '10.0.0.1/8' is not a CIDR")


def test_program_stops_before_declaring_anything() -> None:
    with pytest.raises(ProgramError) as info:
        run_program("dev", ROOT, config_overrides={"flows": [{"source": "source", "target": "nowhere"}]})
    message = str(info.value)
    assert "aiven-kafka-replication:flows[0].target: unknown cluster 'nowhere'" in message
    assert "Traceback" not in message
    assert info.value.partial is not None and info.value.partial.resources == []


def test_unknown_top_level_key_is_rejected_by_the_program() -> None:
    with pytest.raises(ProgramError) as info:
        run_program("dev", ROOT, config_overrides={"flow": []})
    assert "aiven-kafka-replication:flow: unknown key (a typo?)" in str(info.value)


def _externals(*servers: list[str]) -> dict[str, Any]:
    raw = dev_raw()
    for i, listed in enumerate(servers):
        raw["clusters"][f"ext{i + 1}"] = {"external": {"bootstrapServers": listed, "securityProtocol": "SSL"}}
    return raw


@pytest.mark.parametrize(("first", "second"), [
    ("kafka.example.com:9092", "KAFKA.example.com:9092"),
    ("kafka.example.com:9092", "kafka.example.com.:09092"),
    ("[2001:db8::1]:9092", "[2001:DB8:0:0:0:0:0:1]:9092"),
])
def test_external_clusters_with_a_bootstrap_server_in_common_are_one_cluster(first: str, second: str) -> None:
    # Two aliases of one cluster would hide an identity loop through them (as two `existing` aliases of one service).
    assert errors_of(_externals([first], ["other.example.com:9092", second])) == [
        f"aiven-kafka-replication:clusters.ext2.external.bootstrapServers[1]: {second!r} is also a bootstrap server "
        "of clusters.ext1.external (hosts compared without case or a trailing dot), so both aliases name one Kafka "
        "cluster: declare it once"
    ]


def test_external_clusters_on_other_ports_or_hosts_are_different_clusters() -> None:
    cfg = config.parse(_externals(["kafka.example.com:9092", "kafka.example.com:9092"],
                                  ["kafka.example.com:9093"], ["kafka2.example.com:9092"]))
    assert [a for a, c in cfg.clusters.items() if c.external is not None] == ["ext1", "ext2", "ext3"]


def test_a_service_name_that_defaults_to_the_alias_or_key_meets_the_rule() -> None:
    raw = dev_raw()
    raw["clusters"]["Target_EU"] = raw["clusters"].pop("target")
    raw["mirrormakers"]["mm.eu"] = raw["mirrormakers"].pop("mm")
    raw["flows"][0] |= {"target": "Target_EU", "mirrormaker": "mm.eu"}
    rule = ("which Aiven refuses: a service name must start with a lowercase letter and contain only lowercase "
            "letters, digits and '-' (at most 63 characters); set serviceName")
    assert errors_of(raw) == [
        f"aiven-kafka-replication:clusters.Target_EU.serviceName: not set, so the service name is the alias "
        f"'Target_EU' (9 characters), {rule}",
        f"aiven-kafka-replication:mirrormakers.mm.eu.serviceName: not set, so the service name is the key "
        f"'mm.eu' (5 characters), {rule}",
    ]
    # An explicit valid name is what Aiven gets: the alias and key stay as they are.
    raw["clusters"]["Target_EU"]["serviceName"] = "target-eu"
    raw["mirrormakers"]["mm.eu"]["serviceName"] = "mm-eu"
    cfg = config.parse(raw)
    assert cfg.clusters["Target_EU"].resolved_service_name("Target_EU") == "target-eu"


def test_cross_references_are_checked_once_every_key_has_passed() -> None:
    # docs/guardrails.md's rounds 3 and 4: a key's own mistake first, then what takes several keys.
    raw = dev_raw()
    raw["clusters"]["source"]["plan"] = 3
    raw["monitoring"] = {"prometheus": {"basicAuthUsername": "prometheus", "basicAuthPassword": "nope"}}
    assert errors_of(raw) == ["aiven-kafka-replication:clusters.source.plan: Input should be a valid string, got 3"]
    raw["clusters"]["source"]["plan"] = "business-4"
    [error] = errors_of(raw)
    assert error.startswith("aiven-kafka-replication:monitoring.prometheus.basicAuthPassword: expected the name of an "
                            "entry in aiven-kafka-replication:credentials (declared: none)")
