"""Every topology people run: the example stacks, external and existing clusters, every flow option."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from replication import config
from replication.engine import ProgramError, RunResult, Secret, run_program
from replication.stackfile import load_stack_files
from tests.conftest import ROOT, RunStack

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def example(name: str) -> Path:
    return ROOT / "examples" / f"{name}.yaml"


def names_of(result: RunResult, kind: str) -> list[str]:
    return sorted(r.name for r in result.resources if r.type.endswith(f":{kind}"))


def dep_names(result: RunResult, name: str, prop: str) -> set[str]:
    index = result.by_urn()
    return {index[u].name for u in result.named(name).property_dependencies[prop]}


def test_one_example_per_topology() -> None:
    assert [p.stem for p in EXAMPLES] == ["active-active", "chain", "fan-in", "fan-out", "migration", "one-way"]
    for path in EXAMPLES:
        assert path.read_text().startswith("# yaml-language-server: $schema=../schema/stack-config.schema.json\n# ")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_plans_within_three_waves(run_stack: RunStack, path: Path) -> None:
    result = run_stack(path.stem, stack_file=path)  # the fixture checks the provider contract
    assert result.resources
    assert max(result.waves().values()) <= 3


def test_one_way_example_is_the_recipe(run_stack: RunStack) -> None:
    recipe = run_stack("dev")
    one_way = run_stack("one-way", stack_file=example("one-way"))

    def strip(r: RunResult) -> list[tuple[str, str, dict[str, Any]]]:  # order of registration varies
        return sorted((x.type, x.name, dict(x.inputs)) for x in r.resources)

    assert strip(one_way) == strip(recipe)


def test_one_integration_per_mirrormaker_and_cluster(run_stack: RunStack) -> None:
    fan_in = run_stack("fan-in", stack_file=example("fan-in"))
    assert names_of(fan_in, "ServiceIntegration") == [
        "mm-central-integration-central",
        "mm-central-integration-edge-ap",
        "mm-central-integration-edge-eu",
        "mm-central-integration-edge-us",
    ]
    active = run_stack("active-active", stack_file=example("active-active"))
    # Its metrics integrations (monitoring-...) are not MirrorMaker's.
    assert [n for n in names_of(active, "ServiceIntegration") if not n.startswith("monitoring-")] == [
        "mm-eu-integration-eu", "mm-eu-integration-us", "mm-us-integration-eu", "mm-us-integration-us",
    ]
    # Each flow reads its aliases from its own MirrorMaker's integrations.
    assert dep_names(active, "us-to-eu-flow", "sourceCluster") == {"mm-eu-integration-us"}
    assert dep_names(active, "eu-to-us-flow", "targetCluster") == {"mm-us-integration-us"}
    assert active.named("eu-to-us-flow").inputs["serviceName"] == "mm-us"


def test_existing_cluster_is_attached_not_created(run_stack: RunStack) -> None:
    result = run_stack("fan-in", stack_file=example("fan-in"))
    assert names_of(result, "Kafka") == ["edge-ap-kafka", "edge-eu-kafka", "edge-us-kafka"]
    integration = result.named("mm-central-integration-central")
    assert integration.inputs["sourceServiceName"] == "analytics-kafka"
    assert integration.inputs["kafkaMirrormakerUserConfig"] == {
        "clusterAlias": "central",
        "kafkaMirrormaker": {"producerBatchSize": 262144, "producerCompressionType": "zstd", "producerLingerMs": 100},
    }
    assert result.outputs["clusterServiceNames"]["central"] == "analytics-kafka"


def test_external_cluster_goes_through_an_endpoint(run_stack: RunStack) -> None:
    result = run_stack("migration", stack_file=example("migration"))
    assert names_of(result, "Kafka") == ["aiven-kafka"]
    endpoint = result.named("onprem-endpoint")
    assert endpoint.type == "aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint"
    ext = dict(endpoint.inputs["externalKafkaUserConfig"])
    password = ext.pop("saslPlainPassword")
    assert isinstance(password, Secret), "the SASL password must reach the provider as a secret"
    assert ext == {
        "bootstrapServers": "kafka-1.corp.example.com:9093,kafka-2.corp.example.com:9093,kafka-3.corp.example.com:9093",
        "securityProtocol": "SASL_SSL",
        "saslMechanism": "SCRAM-SHA-512",
        "saslPlainUsername": "mirrormaker",
    }
    assert endpoint.inputs["endpointName"] == "onprem-kafka"
    integration = result.named("mm-migration-integration-onprem")
    assert "sourceServiceName" not in integration.inputs
    assert integration.inputs["sourceEndpointId"] == result.named("onprem-endpoint").inputs["project"] + "/" + \
        integration.inputs["sourceEndpointId"].split("/", 1)[1]
    assert dep_names(result, "mm-migration-integration-onprem", "sourceEndpointId") == {"onprem-endpoint"}
    flow = result.named("onprem-to-aiven-flow").inputs
    assert flow["replicationPolicyClass"] == "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
    assert flow["offsetSyncsTopicLocation"] == "target"


def test_every_flow_option_reaches_the_provider(run_stack: RunStack) -> None:
    flow = {
        "source": "source", "target": "target", "mirrormaker": "mm",
        "topics": ["orders.*"], "topicsExclude": ["orders\\.tmp"],
        "replicationPolicy": "identity",
        "syncGroupOffsets": False, "syncGroupOffsetsIntervalSeconds": 120,
        "emitHeartbeats": False, "emitBackwardHeartbeats": True,
        "offsetSyncsTopicLocation": "target", "replicationFactor": 3,
        "exactlyOnceDelivery": True, "configPropertiesExclude": ["retention\\..*"],
        "followerFetching": True, "offsetLagMax": 500, "enabled": False,
    }
    inputs = run_stack("dev", flows=[flow]).named("source-to-target-flow").inputs
    assert {k: v for k, v in inputs.items() if k not in ("project", "serviceName", "sourceCluster", "targetCluster")} == {
        "topics": ["orders.*"],
        "topicsBlacklists": ["orders\\.tmp"],
        "replicationPolicyClass": "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
        "syncGroupOffsetsEnabled": False,
        "syncGroupOffsetsIntervalSeconds": 120,
        "emitHeartbeatsEnabled": False,
        "emitBackwardHeartbeatsEnabled": True,
        "offsetSyncsTopicLocation": "target",
        "replicationFactor": 3,
        "exactlyOnceDeliveryEnabled": True,
        "configPropertiesExcludes": ["retention\\..*"],
        "followerFetchingEnabled": True,
        "offsetLagMax": 500,
        "enable": False,
    }


def test_expected_topics_of_the_examples(run_stack: RunStack) -> None:
    chain = run_stack("chain", stack_file=example("chain")).outputs["expectedTopics"]
    assert "eu.orders" in chain["us"] and "us.eu.orders" in chain["ap"] and "us.invoices" in chain["ap"]
    assert "orders" not in chain["ap"]
    fan_in = run_stack("fan-in", stack_file=example("fan-in")).outputs["expectedTopics"]
    assert {"edge-eu.clicks", "edge-us.clicks", "edge-ap.clicks", "reports"} <= set(fan_in["central"])
    migration = run_stack("migration", stack_file=example("migration")).outputs["expectedTopics"]
    assert {"orders", "customers", "shipments"} <= set(migration["aiven"])
    active = run_stack("active-active", stack_file=example("active-active")).outputs["expectedTopics"]
    assert "us.orders" in active["eu"] and "eu.orders" in active["us"]
    assert not any(t.startswith(("eu.us.", "us.eu.")) for t in active["eu"] + active["us"]), "cycle check"


# --- config errors of the topology features -----------------------------------------------------


def raw_of(path: Path) -> dict[str, Any]:
    """The namespace's config as the program receives it (secure values as offline placeholders)."""
    files = load_stack_files(ROOT, path.stem, path)
    prefix = "aiven-kafka-replication:"
    return {k.removeprefix(prefix): json.loads(v) if v[:1] in "[{" else v
            for k, v in files.config.items() if k.startswith(prefix)}


def issues(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    return [str(i) for i in info.value.issues]


def test_sasl_needs_a_password_reference() -> None:
    raw = raw_of(example("migration"))
    del raw["clusters"]["onprem"]["external"]["saslPassword"]
    assert issues(raw) == [
        "aiven-kafka-replication:clusters.onprem.external.saslPassword: required with securityProtocol SASL_SSL"
    ]


def test_password_reference_must_exist_in_credentials() -> None:
    raw = raw_of(example("migration"))
    raw["clusters"]["onprem"]["external"]["saslPassword"] = "typo"
    # Never echoed: what is not a known name may be the password itself.
    assert issues(raw) == [
        "aiven-kafka-replication:clusters.onprem.external.saslPassword: expected the name of an entry in "
        "aiven-kafka-replication:credentials (declared: onprem-sasl-password), got a 4-character value that "
        "names none (value not shown: it may be a secret); set the secret with `pulumi config set --secret "
        "--path 'aiven-kafka-replication:credentials.<name>' <value>` and put <name> here"
    ]


def test_plaintext_credentials_are_refused(tmp_path: Path) -> None:
    text = example("migration").read_text().replace(
        "    onprem-sasl-password:\n      secure: v1:offline-example-not-a-real-ciphertext",
        "    onprem-sasl-password: hunter2",
    )
    stack = tmp_path / "Pulumi.plain.yaml"
    stack.write_text(text)
    with pytest.raises(ProgramError) as info:
        run_program("plain", ROOT, stack_file=stack)
    assert "aiven-kafka-replication:credentials: is stored in plain text" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_credential_values_are_never_echoed_in_errors() -> None:
    raw = raw_of(example("migration"))
    raw["credentials"] = {"onprem-sasl-password": 12345678}
    [line] = issues(raw)
    assert line.startswith("aiven-kafka-replication:credentials.onprem-sasl-password: ")
    assert "12345678" not in line


def test_existing_cluster_rejects_settings_it_cannot_apply() -> None:
    raw = raw_of(example("fan-in"))
    raw["clusters"]["central"]["plan"] = "business-4"
    assert issues(raw) == [
        "aiven-kafka-replication:clusters.central.plan: not allowed on an existing cluster: this stack does not manage it"
    ]


def test_existing_cluster_needs_its_service_name() -> None:
    raw = raw_of(example("fan-in"))
    del raw["clusters"]["central"]["serviceName"]
    assert issues(raw) == [
        "aiven-kafka-replication:clusters.central.serviceName: required with existing: true (the Aiven service to attach)"
    ]


def test_tuning_for_a_cluster_the_mirrormaker_does_not_attach() -> None:
    raw = raw_of(example("fan-in"))
    raw["mirrormakers"]["mm-central"]["integrations"]["nowhere"] = {"producerLingerMs": 5}
    assert issues(raw) == [
        "aiven-kafka-replication:mirrormakers.mm-central.integrations.nowhere: cluster 'nowhere' is not used by "
        "any flow of MirrorMaker 'mm-central' (it attaches: central, edge-ap, edge-eu, edge-us)"
    ]


def test_integration_tuning_is_checked_against_the_contract() -> None:
    raw = raw_of(example("fan-in"))
    raw["mirrormakers"]["mm-central"]["integrations"]["central"]["producerCompressionType"] = "brotli"
    [line] = issues(raw)
    assert line.startswith(
        "aiven-kafka-replication:mirrormakers.mm-central.integrations.central.producerCompressionType: Input should be"
    )
    assert "'brotli'" in line


def test_known_topics_only_on_unmanaged_clusters() -> None:
    raw = copy.deepcopy(raw_of(example("one-way")))
    raw["clusters"]["source"]["knownTopics"] = ["legacy"]
    assert issues(raw) == [
        "aiven-kafka-replication:clusters.source.knownTopics: only for existing or external clusters; declare `topics` instead"
    ]


# --- topologies that would corrupt or loop data stop the program ---------------------------------


def _refused(**overrides: Any) -> str:
    with pytest.raises(ProgramError) as info:
        run_program("dev", ROOT, config_overrides=overrides)
    assert info.value.partial is not None and info.value.partial.resources == []
    return str(info.value)


def test_identity_active_active_is_refused() -> None:
    flows = [
        {"source": "source", "target": "target", "replicationPolicy": "identity", "topics": ["topic-a"]},
        {"source": "target", "target": "source", "replicationPolicy": "identity", "topics": ["topic-b"]},
    ]
    assert _refused(flows=flows) == (
        "Pulumi.dev.yaml: identity-policy flows form a cycle source->target->source: identity keeps topic "
        "names, so MirrorMaker cannot detect the loop and would copy records forever; use the default policy on "
        "at least one flow of the cycle"
    )


def test_identity_fan_in_of_the_same_topic_is_refused() -> None:
    raw = raw_of(example("fan-in"))
    for flow in raw["flows"][:2]:
        flow["replicationPolicy"] = "identity"
    with pytest.raises(ProgramError) as info:
        run_program("fan-in", ROOT, stack_file=example("fan-in"), config_overrides={"flows": raw["flows"]})
    assert str(info.value) == (
        "fan-in.yaml: flows edge-eu->central and edge-us->central would both write topic 'clicks' into "
        "cluster 'central': the two streams would interleave"
    )


def test_replicated_topic_colliding_with_a_declared_one_is_refused() -> None:
    flows = [{"source": "source", "target": "target", "replicationPolicy": "identity"}]
    clusters = raw_of(example("one-way"))["clusters"]
    clusters["target"]["topics"]["topic-a"] = {"partitions": 3, "replication": 2}
    assert _refused(flows=flows, clusters=clusters) == (
        "Pulumi.dev.yaml: flow source->target would write topic 'topic-a' into cluster 'target', which "
        "declares a topic 'topic-a' of its own: the two streams would interleave"
    )


def test_a_loop_that_never_settles_is_refused() -> None:
    flows = [
        {"source": "source", "target": "target", "replicationPolicy": "identity", "topics": [".*"]},
        {"source": "target", "target": "source", "topics": [".*"]},
    ]
    clusters = raw_of(example("one-way"))["clusters"]
    clusters["target"]["topics"] = {}
    message = _refused(flows=flows, clusters=clusters)
    assert message.startswith("Pulumi.dev.yaml: replication never settles: topic names keep growing")
    assert "source->target" in message and "target->source" in message
