"""The dependency graph: what waits for what, and how many provisioning waves that makes."""

from __future__ import annotations

from replication.engine import RunResult
from tests.conftest import RunStack


def _deps(result: RunResult, name: str) -> set[str]:
    index = result.by_urn()
    return {index[u].name for u in result.custom_dependencies(result.named(name))}


def test_flow_waits_for_both_integrations(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert _deps(result, "source-to-target-flow") == {"mm-integration-source", "mm-integration-target", "mm-service"}
    flow = result.named("source-to-target-flow")
    index = result.by_urn()
    # The aliases themselves come from the integrations' outputs, not from literals.
    assert {index[u].name for u in flow.property_dependencies["sourceCluster"]} == {"mm-integration-source"}
    assert {index[u].name for u in flow.property_dependencies["targetCluster"]} == {"mm-integration-target"}


def test_topics_wait_for_their_own_service_only(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert _deps(result, "source-topic-topic-a") == {"source-kafka"}
    assert _deps(result, "target-topic-topic-b") == {"target-kafka"}


def test_integrations_wait_for_their_cluster_and_the_mirrormaker(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert _deps(result, "mm-integration-source") == {"source-kafka", "mm-service"}
    assert _deps(result, "mm-integration-target") == {"target-kafka", "mm-service"}


def test_three_waves_services_then_topics_and_integrations_then_flows(run_stack: RunStack) -> None:
    result = run_stack("dev")
    index = result.by_urn()
    waves = {index[u].name: w for u, w in result.waves().items()}
    assert waves == {
        "source-kafka": 1,
        "target-kafka": 1,
        "mm-service": 1,
        "source-topic-topic-a": 2,
        "target-topic-topic-b": 2,
        "mm-integration-source": 2,
        "mm-integration-target": 2,
        "source-to-target-flow": 3,
    }


def test_integrations_and_flows_delete_before_replace(run_stack: RunStack) -> None:
    result = run_stack("dev")
    for r in result.resources:
        if r.type.endswith((":ServiceIntegration", ":MirrorMakerReplicationFlow")):
            assert r.delete_before_replace, r.name
        elif r.custom:
            assert not r.delete_before_replace, r.name


def test_children_are_parented_by_their_component(run_stack: RunStack) -> None:
    result = run_stack("dev")
    index = result.by_urn()

    def parent(name: str) -> str:
        return index[result.named(name).parent or ""].name

    assert parent("source-kafka") == "source"
    assert parent("source-topic-topic-a") == "source"
    assert parent("mm-integration-target") == "mm"
    assert parent("source-to-target-flow") == "source-to-target"
    assert {parent(n) for n in ("source", "target", "mm", "source-to-target")} == {"replication"}
    assert result.named("source").type == "aiven-kafka-replication:index:KafkaCluster"
    assert result.named("replication").type == "aiven-kafka-replication:index:Replication"
