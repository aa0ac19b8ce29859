"""Data safety: `protect` guards services and topics, and refuses ip filters open to the internet."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from replication import config, render
from replication.engine import ProgramError
from tests.conftest import ROOT, Plan
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


def test_prod_protects_services_and_topics(plan: Plan) -> None:
    result = plan("prod")
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


def test_integrations_and_flows_stay_unprotected_so_they_can_be_replaced(plan: Plan) -> None:
    result = plan("prod")
    for r in result.resources:
        if r.type.endswith((":ServiceIntegration", ":MirrorMakerReplicationFlow")):
            assert not r.protect and r.delete_before_replace, r.name


def test_dev_is_unprotected_and_recipe_identical(plan: Plan) -> None:
    result = plan("dev")
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


def test_program_logs_the_warnings_and_the_plan_prints_them(plan: Plan) -> None:
    result = plan("dev")
    warnings = [msg for level, msg in result.logs if level == "warning"]
    assert [w.split(":", 2)[1] for w in warnings] == [
        "clusters.source.ipFilter",
        "clusters.target.ipFilter",
        "mirrormakers.mm.ipFilter[0]",
    ]
    text = render.text(result)
    assert "warning: aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0' admits the whole internet" in text


def test_prod_has_no_warnings(plan: Plan) -> None:
    assert [log for log in plan("prod").logs if log[0] == "warning"] == []


def test_program_stops_before_declaring_anything_with_protect_on_dev() -> None:
    from tests.conftest import run_checked

    with pytest.raises(ProgramError) as info:
        run_checked("dev", protect=True)
    assert "aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0'" in str(info.value)
    assert info.value.partial is not None and info.value.partial.resources == []


def test_turning_protect_off_unsets_termination_protection(plan: Plan) -> None:
    result = plan("prod", protect=False)
    for r in result.resources:
        assert not r.protect and "terminationProtection" not in r.inputs, r.name
