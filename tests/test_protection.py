"""Data safety: `protect` guards services and topics, and refuses ip filters open to the internet."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from replication import config, render, topology
from replication.engine import ProgramError
from tests.conftest import ROOT, RunStack
from tests.test_config import dev_raw, errors_of

SERVICES = ("aiven:index/kafka:Kafka", "aiven:index/kafkaMirrorMaker:KafkaMirrorMaker")
TOPIC = "aiven:index/kafkaTopic:KafkaTopic"


def _with_filters(raw: dict[str, Any], source: Any, target: Any, mm: Any) -> dict[str, Any]:
    for key, value in (("source", source), ("target", target)):
        raw["clusters"][key].pop("ipFilter", None)
        if value is not None:
            raw["clusters"][key]["ipFilter"] = value
    raw["mirrormakers"]["mm"].pop("ipFilter", None)
    if mm is not None:
        raw["mirrormakers"]["mm"]["ipFilter"] = mm
    return raw


def test_prod_protects_services_and_topics(run_stack: RunStack) -> None:
    result = run_stack("prod")
    services = [r for r in result.resources if r.type in SERVICES]
    topics = result.of_type(TOPIC)
    assert len(services) == 3 and len(topics) == 2
    for r in services:
        assert r.inputs["terminationProtection"] is True, r.name
        assert r.protect, r.name
    for r in topics:
        assert r.protect, r.name
        # The topic's own terminationProtection input is deprecated in the contract: never used.
        assert "terminationProtection" not in r.inputs, r.name


def test_integrations_and_flows_stay_unprotected_so_they_can_be_replaced(run_stack: RunStack) -> None:
    result = run_stack("prod")
    for r in result.resources:
        if r.type.endswith((":ServiceIntegration", ":MirrorMakerReplicationFlow")):
            assert not r.protect and r.delete_before_replace, r.name


def test_dev_is_unprotected_and_recipe_identical(run_stack: RunStack) -> None:
    result = run_stack("dev")
    for r in result.resources:
        assert not r.protect, r.name
        assert "terminationProtection" not in r.inputs, r.name


def test_protect_defaults_to_false_and_prod_turns_it_on() -> None:
    assert config.parse(dev_raw()).protect is False
    prod = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    assert prod["aiven-kafka-replication:protect"] is True


def test_protect_refuses_unset_and_open_ip_filters_naming_each_key() -> None:
    raw = {**dev_raw(), "protect": True}  # dev: clusters unset, MirrorMaker ["0.0.0.0/0"]
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.source.ipFilter: is not set, so Aiven's default (0.0.0.0/0) admits the whole internet; list the networks allowed to connect (not allowed with protect: true)",
        "aiven-kafka-replication:clusters.target.ipFilter: is not set, so Aiven's default (0.0.0.0/0) admits the whole internet; list the networks allowed to connect (not allowed with protect: true)",
        "aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0' admits the whole internet (not allowed with protect: true)",
    ]


def test_protect_refuses_ipv6_any_and_empty_filters() -> None:
    raw = _with_filters({**dev_raw(), "protect": True}, ["10.0.0.0/8", "::/0"], [], ["10.0.0.0/8"])
    issues = errors_of(raw)
    assert issues == [
        "aiven-kafka-replication:clusters.source.ipFilter[1]: '::/0' admits the whole internet (not allowed with protect: true)",
        "aiven-kafka-replication:clusters.target.ipFilter: is empty, so Aiven's default (0.0.0.0/0) admits the whole internet; list the networks allowed to connect (not allowed with protect: true)",
    ]


def test_protect_refuses_the_ipv4_mapped_form_of_the_whole_internet() -> None:
    raw = _with_filters({**dev_raw(), "protect": True}, ["::ffff:0.0.0.0/96"], ["10.0.0.0/8"], ["10.0.0.0/8"])
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.source.ipFilter[0]: '::ffff:0.0.0.0/96' admits the whole internet (not allowed with protect: true)",
    ]


def test_protect_accepts_explicit_private_filters() -> None:
    raw = _with_filters(
        {**dev_raw(), "protect": True}, ["10.0.0.0/8"], ["192.0.2.0/24", "2001:db8::/32"], ["10.0.0.0/8"]
    )
    cfg = config.parse(raw)
    assert cfg.protect and config.safety_warnings(cfg) == []


def test_protect_ignores_clusters_this_stack_does_not_create() -> None:
    raw = _with_filters({**dev_raw(), "protect": True}, None, ["10.0.0.0/8"], ["10.0.0.0/8"])
    raw["clusters"]["source"] = {"existing": True, "serviceName": "kafka-elsewhere"}
    assert config.parse(raw).protect


def test_without_protect_open_filters_are_warnings_not_errors() -> None:
    cfg = config.parse(dev_raw())
    assert [str(w) for w in config.safety_warnings(cfg)] == [
        "aiven-kafka-replication:clusters.source.ipFilter: is not set, so Aiven's default (0.0.0.0/0) admits the whole internet; list the networks allowed to connect",
        "aiven-kafka-replication:clusters.target.ipFilter: is not set, so Aiven's default (0.0.0.0/0) admits the whole internet; list the networks allowed to connect",
        "aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0' admits the whole internet",
    ]


def test_program_logs_the_warnings_and_the_plan_prints_them(run_stack: RunStack) -> None:
    result = run_stack("dev")
    warnings = [msg for level, msg in result.logs if level == "warning"]
    assert [w.split(":", 2)[1] for w in warnings] == [
        "clusters.source.ipFilter",
        "clusters.target.ipFilter",
        "mirrormakers.mm.ipFilter[0]",
        # The recipe's Kafka 3.2 is deprecated by Aiven: warned, through the same path.
        "clusters.source.kafkaVersion",
        "clusters.target.kafkaVersion",
    ]
    text = render.text(result)
    assert "warning: aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0' admits the whole internet" in text


def test_prod_has_no_safety_warnings(run_stack: RunStack) -> None:
    # Only that its Kafka 3.8 is deprecated by Aiven (upgrading prod is the operators' call).
    # (Its single-copy topic is a failover warning, not a safety one: tests/test_failover.py.)
    warnings = [msg for level, msg in run_stack("prod").logs if level == "warning" and not msg.startswith("failover:")]
    assert [w.split(":", 2)[1] for w in warnings] == ["clusters.source.kafkaVersion", "clusters.target.kafkaVersion"]
    assert all("'3.8' is deprecated by Aiven; current values: '3.9'" in w for w in warnings)


def test_program_stops_before_declaring_anything_with_protect_on_dev() -> None:
    from tests.conftest import run_checked

    with pytest.raises(ProgramError) as info:
        run_checked("dev", protect=True)
    assert "aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0'" in str(info.value)
    assert info.value.partial is not None and info.value.partial.resources == []


def test_turning_protect_off_unsets_termination_protection(run_stack: RunStack) -> None:
    result = run_stack("prod", protect=False)
    for r in result.resources:
        assert not r.protect and "terminationProtection" not in r.inputs, r.name


def _crossing_raw(source: dict[str, Any], target_filter: Any, protect: bool = False) -> dict[str, Any]:
    """Dev with its source replaced (an existing or external cluster) and the target's filter set."""
    raw = _with_filters(dev_raw(), None, target_filter, ["10.0.0.0/8"])
    raw["clusters"]["source"] = source
    return {**raw, "protect": protect} if protect else raw


EXISTING = {"existing": True, "serviceName": "prod-kafka-source"}
EXTERNAL = {"external": {"bootstrapServers": ["kafka-1.corp.example.com:9092"], "securityProtocol": "PLAINTEXT"}}


@pytest.mark.parametrize(("source", "kind"), [(EXISTING, "an existing Aiven service"), (EXTERNAL, "an external cluster")])
@pytest.mark.parametrize("target_filter", [None, ["0.0.0.0/0"], ["10.0.0.0/8", "::/0"]])
def test_copying_an_unmanaged_cluster_into_an_open_one_warns_naming_the_flow(
    source: dict[str, Any], kind: str, target_filter: Any
) -> None:
    cfg = config.parse(_crossing_raw(source, target_filter))
    crossing = [str(w) for w in topology.resolve(cfg).crossing_warnings]
    assert crossing == [
        f"aiven-kafka-replication:flows[0]: copies data from 'source' ({kind} this stack does not manage) into "
        "'target', whose ipFilter admits the whole internet, in a stack without protect: data from another "
        "environment becomes reachable from anywhere; restrict clusters.target.ipFilter"
    ]


def test_records_from_an_unmanaged_cluster_are_followed_through_the_topic_map_to_an_open_one() -> None:
    # prodsrc (existing) -> mid (closed) -> open (0.0.0.0/0): mid.prodsrc.topic-a lands on open.
    service = {"cloud": "google-europe-west1", "plan": "business-4", "kafkaVersion": "3.9"}
    raw: dict[str, Any] = {
        "project": "my-aiven-project",
        "clusters": {
            "prodsrc": {"existing": True, "serviceName": "prod-kafka-source", "knownTopics": ["topic-a"]},
            "mid": {**service, "ipFilter": ["10.0.0.0/8"]},
            "open": {**service, "ipFilter": ["0.0.0.0/0"]},
        },
        "mirrormakers": {"mm": {"cloud": "google-europe-west1", "plan": "business-4", "ipFilter": ["10.0.0.0/8"]}},
        "flows": [{"source": "prodsrc", "target": "mid"}, {"source": "mid", "target": "open"}],
    }
    cfg = config.parse(raw)
    assert [str(w) for w in topology.resolve(cfg).crossing_warnings] == [
        "aiven-kafka-replication:flows[1]: copies data from 'prodsrc' (an existing Aiven service this stack does "
        "not manage) through 'mid' (e.g. 'mid.prodsrc.topic-a') into 'open', whose ipFilter admits the whole "
        "internet, in a stack without protect: data from another environment becomes reachable from anywhere; "
        "restrict clusters.open.ipFilter"
    ]
    # Closing the cluster the records end on ends the crossing.
    raw["clusters"]["open"]["ipFilter"] = ["10.0.0.0/8"]
    assert topology.resolve(config.parse(raw)).crossing_warnings == ()


@pytest.mark.parametrize(
    ("source", "target_filter"),
    [
        (EXISTING, ["10.0.0.0/8"]),  # the target is closed
        (None, None),  # the source is this stack's own cluster
    ],
)
def test_no_crossing_warning_for_a_closed_target_or_a_managed_source(source: Any, target_filter: Any) -> None:
    raw = _crossing_raw(source, target_filter) if source else _with_filters(dev_raw(), None, target_filter, None)
    cfg = config.parse(raw)
    assert list(topology.resolve(cfg).crossing_warnings) == []


def test_an_unmanaged_target_is_not_judged_open() -> None:
    # Its ip filter is not in this stack: the warning is for clusters this stack opens.
    raw = _crossing_raw(EXISTING, None)
    raw["clusters"]["target"] = {"existing": True, "serviceName": "other-kafka"}
    cfg = config.parse(raw)
    assert list(topology.resolve(cfg).crossing_warnings) == []


def test_the_crossing_warning_reaches_the_plan(run_stack: RunStack) -> None:
    result = run_stack("dev", clusters=_crossing_raw(EXISTING, None)["clusters"])
    warnings = [msg for level, msg in result.logs if level == "warning"]
    assert any(w.startswith("aiven-kafka-replication:flows[0]: copies data from 'source'") for w in warnings)
    assert "warning: aiven-kafka-replication:flows[0]: copies data from 'source'" in render.text(result)


def test_a_protected_stack_cannot_cross_into_an_open_cluster() -> None:
    with pytest.raises(config.ConfigError) as info:
        config.parse(_crossing_raw(EXISTING, None, protect=True))
    assert "clusters.target.ipFilter: is not set" in str(info.value)
