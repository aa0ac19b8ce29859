"""The dev stack is Aiven's MirrorMaker 2 recipe, resource for resource and value for value."""

from __future__ import annotations

from replication.engine import RunResult, Secret
from tests.conftest import RunStack

RECIPE_EXCLUDES = [r".*[\-\.]internal", r".*\.replica", r"__.*"]


def test_dev_declares_the_recipes_eight_resources(run_stack: RunStack) -> None:
    result = run_stack("dev")
    aiven = sorted((r.type.rsplit(":", 1)[-1], r.name) for r in result.resources if r.is_aiven)
    assert aiven == [
        ("Kafka", "source-kafka"),
        ("Kafka", "target-kafka"),
        ("KafkaMirrorMaker", "mm-service"),
        ("KafkaTopic", "source-topic-topic-a"),
        ("KafkaTopic", "target-topic-topic-b"),
        ("MirrorMakerReplicationFlow", "source-to-target-flow"),
        ("ServiceIntegration", "mm-integration-source"),
        ("ServiceIntegration", "mm-integration-target"),
    ]


def test_kafka_services_have_the_recipes_settings(run_stack: RunStack) -> None:
    result = run_stack("dev")
    for alias in ("source", "target"):
        inputs = result.named(f"{alias}-kafka").inputs
        assert inputs == {
            "project": "my-aiven-project",
            "serviceName": alias,
            "cloudName": "google-europe-west1",
            "plan": "business-4",
            "maintenanceWindowDow": "monday",
            "maintenanceWindowTime": "10:00:00",
            "kafkaUserConfig": {
                "kafkaVersion": "3.2",
                "kafka": {"groupMaxSessionTimeoutMs": 70000, "logRetentionBytes": 1000000000},
            },
        }


def test_topics_match_the_recipe(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert result.named("source-topic-topic-a").inputs == {
        "project": "my-aiven-project",
        "serviceName": "source",
        "topicName": "topic-a",
        "partitions": 3,
        "replication": 2,
    }
    assert result.named("target-topic-topic-b").inputs["topicName"] == "topic-b"
    assert result.named("target-topic-topic-b").inputs["serviceName"] == "target"


def test_mirrormaker_and_integrations_match_the_recipe(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert result.named("mm-service").inputs == {
        "project": "my-aiven-project",
        "serviceName": "mm",
        "cloudName": "google-europe-west1",
        "plan": "business-4",
        "kafkaMirrormakerUserConfig": {
            "ipFilterStrings": ["0.0.0.0/0"],
            "kafkaMirrormaker": {
                "refreshGroupsIntervalSeconds": 600,
                "refreshTopicsEnabled": True,
                "refreshTopicsIntervalSeconds": 600,
            },
        },
    }
    for alias in ("source", "target"):
        assert result.named(f"mm-integration-{alias}").inputs == {
            "project": "my-aiven-project",
            "integrationType": "kafka_mirrormaker",
            "sourceServiceName": alias,
            "destinationServiceName": "mm",
            "kafkaMirrormakerUserConfig": {"clusterAlias": alias},
        }


def test_flow_matches_the_recipe_with_explicit_defaults(run_stack: RunStack) -> None:
    inputs = run_stack("dev").named("source-to-target-flow").inputs
    assert inputs == {
        "project": "my-aiven-project",
        "serviceName": "mm",
        "sourceCluster": "source",
        "targetCluster": "target",
        "enable": True,
        "topics": [".*"],
        "topicsBlacklists": RECIPE_EXCLUDES,
        # Set explicitly because the provider's and the API's defaults differ.
        "replicationPolicyClass": "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
        "offsetSyncsTopicLocation": "source",
        "syncGroupOffsetsEnabled": True,
        "syncGroupOffsetsIntervalSeconds": 60,
        "emitHeartbeatsEnabled": True,
        "emitBackwardHeartbeatsEnabled": False,
        "exactlyOnceDeliveryEnabled": False,
    }


def test_stack_outputs(run_stack: RunStack) -> None:
    outputs = run_stack("dev").outputs
    assert outputs["clusterServiceNames"] == {"source": "source", "target": "target"}
    assert outputs["mirrormakerServiceNames"] == {"mm": "mm"}
    assert outputs["flows"] == [
        {"source": "source", "target": "target", "mirrormaker": "mm", "replicationPolicy": "default", "enabled": True}
    ]
    uris = outputs["clusterServiceUris"]
    assert isinstance(uris, Secret), "service URIs embed credentials and must be exported as a secret"
    assert set(uris.value) == {"source", "target"}
    assert uris.value["source"].startswith("avnadmin:")


def test_expected_topics_of_the_recipe(run_stack: RunStack) -> None:
    topics = run_stack("dev").outputs["expectedTopics"]
    assert "topic-b" in topics["target"] and "source.topic-a" in topics["target"]
    assert "heartbeats" in topics["target"]
    assert "topic-b" not in topics["source"], "the flow is one-way"
    assert topics["source"] == ["topic-a"]


def test_prod_stack_is_isolated_from_dev(run_stack: RunStack) -> None:
    dev, prod = run_stack("dev"), run_stack("prod")

    def names(r: RunResult) -> set[str]:
        return {x.inputs["serviceName"] for x in r.resources if x.type.endswith((":Kafka", ":KafkaMirrorMaker"))}

    assert not names(dev) & names(prod), "prod must not reuse dev's service names in a shared project"
    mm = next(r for r in prod.resources if r.type.endswith(":KafkaMirrorMaker"))
    assert "0.0.0.0/0" not in mm.inputs["kafkaMirrormakerUserConfig"]["ipFilterStrings"]
