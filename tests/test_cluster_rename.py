"""Renaming a cluster's alias: `renamedFrom` keeps its resources; without it, the diff says to add it.

The alias is part of the URN of every resource built for a cluster. `renamedFrom: <old alias>`
gives each of them its old name as a Pulumi alias, so the engine moves the state: the Kafka
service and its topics are renamed, not deleted and created again. MirrorMaker still sees a new
alias, so the flow is replaced and remote topics get the new prefix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replication import cli, config, rename_advice
from replication import diff as diffs
from tests.conftest import ROOT, RunStack, git
from tests.test_urn_stability import compare, snapshot_of

RENAMED = "    primary:\n      serviceName: source\n      renamedFrom: source\n      cloud:"
FLOW = ("    - source: source\n", "    - source: primary\n")


def rename_source(repo: Path, head: str) -> None:
    """Rename the dev stack's cluster `source` to `primary` (its first line becoming `head`), and commit."""
    path = repo / "Pulumi.dev.yaml"
    text = path.read_text()
    assert text.count("    source:\n      cloud:") == 1 and text.count(FLOW[0]) == 1
    path.write_text(text.replace("    source:\n      cloud:", head).replace(*FLOW))
    git(repo, "commit", "-q", "-am", "rename source to primary")


def run(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["diff", "--stack", "dev", "--base", "HEAD~1", "--dir", str(repo), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_renamed_from_keeps_the_service_and_its_topics(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rename_source(repo, RENAMED)
    code, doc = run(repo, capsys)
    assert code == 0, "replication-stops fails only with --fail-on-data-loss"
    assert {c["name"]: (c["action"], c["renamedFrom"].rsplit("::", 1)[-1], [i["path"] for i in c["inputs"]])
            for c in doc["changes"]} == {
        "primary-kafka": ("update", "source-kafka", []),
        "primary-topic-topic-a": ("update", "source-topic-topic-a", []),
        "mm-integration-primary": ("update", "mm-integration-source", ["kafkaMirrormakerUserConfig.clusterAlias"]),
        # MirrorMaker knows clusters by alias: the provider recreates a flow whose alias changes.
        "primary-to-target-flow": ("replace", "source-to-target-flow", ["sourceCluster"]),
    }
    assert doc["summary"] == {"create": 0, "update": 3, "replace": 1, "delete": 0, "unchanged": 4}
    # The recreated flow pauses, and its copy moves to the new prefix: a replication-stops finding says where.
    assert [(f["class"], f["rule"], f["name"]) for f in doc["findings"]] == [
        ("replication-stops", "replication-stops", "primary-to-target-flow"),
        ("advisory", "replication-pauses", "primary-to-target-flow"),
    ]
    assert "`source.topic-a` on `target` stops receiving records, new records go to `primary.topic-a`" in (
        doc["findings"][0]["message"])
    assert not any(f["name"].endswith(("-kafka", "-topic-a")) for f in doc["findings"]), "nothing loses data"
    # Remote topics take the new prefix all the same (the default replication policy).
    assert {"alias": "target", "added": ["primary.topic-a"], "removed": ["source.topic-a"]} in doc["topicMap"]


def test_without_renamed_from_the_diff_says_to_add_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rename_source(repo, "    primary:\n      serviceName: source\n      cloud:")
    code, doc = run(repo, capsys, "--fail-on-data-loss")
    assert code == 1
    actions = {c["name"]: c["action"] for c in doc["changes"]}
    assert (actions["source-kafka"], actions["primary-kafka"]) == ("delete", "create")
    (finding,) = [f for f in doc["findings"] if f["name"] == "source-kafka"]
    assert finding["message"] == (
        "Kafka service `source` is deleted. Every topic and record on the service is lost, and a replacement "
        "starts empty. The cluster alias `source` "
        "was renamed to `primary` with the same service name `source`: to keep the service, add "
        "`renamedFrom: source` to `clusters.primary`."
    )
    assert sum("renamedFrom" in f["message"] for f in doc["findings"]) == 1


def test_a_new_service_name_gets_no_advice(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rename_source(repo, "    primary:\n      cloud:")  # the service is `primary` now: a new one
    _, doc = run(repo, capsys)
    assert not any("renamedFrom" in f["message"] for f in doc["findings"])


def test_every_old_urn_answers_to_a_renamed_resource(run_stack: RunStack, tmp_path: Path) -> None:
    before = run_stack("dev")
    stack_file = tmp_path / "Pulumi.dev.yaml"
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    stack_file.write_text(text.replace("    source:\n      cloud:", RENAMED).replace(*FLOW))
    after = run_stack("dev", stack_file=stack_file)
    urns = compare(snapshot_of(before), after)
    assert urns.replaced == [] and urns.added == []
    assert {old.rsplit("::", 1)[-1]: new.rsplit("::", 1)[-1] for old, new in urns.renamed.items()} == {
        "source": "primary",
        "source-kafka": "primary-kafka",
        "source-topic-topic-a": "primary-topic-topic-a",
        "mm-integration-source": "mm-integration-primary",
        "source-to-target": "primary-to-target",
        "source-to-target-flow": "primary-to-target-flow",
    }


def test_an_external_cluster_keeps_its_endpoint(run_stack: RunStack, tmp_path: Path) -> None:
    text = (ROOT / "examples" / "migration.yaml").read_text()
    renamed = (
        text.replace("    onprem:\n      external:", "    legacy:\n      renamedFrom: onprem\n      external:")
        .replace("        onprem: {consumer", "        legacy: {consumer")
        .replace("    - source: onprem\n", "    - source: legacy\n")
    )
    assert renamed.count("legacy") == 3
    base = run_stack("migration", stack_file=ROOT / "examples" / "migration.yaml")
    stack_file = tmp_path / "migration.yaml"
    stack_file.write_text(renamed)
    head = run_stack("migration", stack_file=stack_file)
    urns = compare(snapshot_of(base), head)
    assert urns.replaced == [] and urns.added == []
    assert "legacy-endpoint" in {new.rsplit("::", 1)[-1] for new in urns.renamed.values()}


CLUSTER = {"cloud": "c", "plan": "p"}


@pytest.mark.parametrize(
    ("clusters", "message"),
    [
        ({"a": {**CLUSTER, "serviceName": "a", "renamedFrom": "a"}},
         "clusters.a.renamedFrom: 'a' is this cluster's alias: give the alias it had before, or remove the key"),
        ({"a": {**CLUSTER, "serviceName": "x", "renamedFrom": "b"}, "b": {**CLUSTER}},
         "clusters.a.renamedFrom: 'b' is still the alias of clusters.b: its resources cannot move"),
        ({"a": {**CLUSTER, "serviceName": "x", "renamedFrom": "old"}, "b": {**CLUSTER, "serviceName": "y", "renamedFrom": "old"}},
         "clusters.b.renamedFrom: 'old' is already the renamedFrom of clusters.a"),
        ({"a": {**CLUSTER, "renamedFrom": "old"}},
         "clusters.a.serviceName: defaults to the alias 'a', so the service would still be replaced: set it to "
         "'old' (or to its name) to keep it"),
        ({"a": {"renamedFrom": "old", "external": {"bootstrapServers": ["h:1"], "securityProtocol": "SSL"}}},
         "clusters.a.external.endpointName: defaults to the alias 'a', so the endpoint would still be replaced: "
         "set it to 'old' (or to its name) to keep it"),
        ({"a": {**CLUSTER, "serviceName": "a", "renamedFrom": "old.x"}}, "clusters.a.renamedFrom"),
    ],
)
def test_renamed_from_is_checked(clusters: dict[str, Any], message: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.parse({"project": "p", "clusters": clusters})
    assert any(line.startswith(f"{config.NAMESPACE}:{message}") for line in str(err.value).splitlines()), str(err.value)


def test_a_rename_that_would_keep_nothing_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rename_source(repo, "    primary:\n      renamedFrom: source\n      cloud:")
    assert cli.main(["diff", "--stack", "dev", "--base", "HEAD~1", "--dir", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "aiven-kafka-replication:clusters.primary.serviceName: defaults to the alias 'primary'" in err
    assert "Traceback" not in err


def test_advice_pairs_only_the_same_service_under_cluster_components() -> None:
    def res(name: str, parent: str | None, **inputs: Any) -> dict[str, Any]:
        return {"type": diffs.KAFKA, "name": name, "parent": parent, "inputs": {"project": "p", **inputs}}

    parent = "urn:pulumi:s::p::aiven-kafka-replication:index:Replication$aiven-kafka-replication:index:KafkaCluster::"
    gone = diffs.Change("u1", diffs.KAFKA, "a-kafka", "delete", before=res("a-kafka", parent + "a", serviceName="s"))
    new = diffs.Change("u2", diffs.KAFKA, "b-kafka", "create", after=res("b-kafka", parent + "b", serviceName="s"))
    other = diffs.Change("u3", diffs.KAFKA, "c-kafka", "create", after=res("c-kafka", parent + "c", serviceName="t"))
    loose = diffs.Change("u4", diffs.KAFKA, "k", "create", after=res("k", None, serviceName="s"))
    assert list(rename_advice.advice([gone, new])) == ["a-kafka"]
    assert rename_advice.advice([gone, other]) == {}
    assert rename_advice.advice([gone, loose]) == {}


def test_users_and_acls_follow_the_rename(run_stack: RunStack, tmp_path: Path) -> None:
    text = (ROOT / "examples" / "active-active.yaml").read_text()
    stack_file = tmp_path / "active-active.yaml"
    stack_file.write_text(
        text.replace("    eu:\n      serviceName", "    europe:\n      renamedFrom: eu\n      serviceName")
        .replace("source: eu,", "source: europe,")
        .replace("target: eu,", "target: europe,")
        .replace("clusters: [eu, us]", "clusters: [europe, us]")
    )
    base = run_stack("active-active", stack_file=ROOT / "examples" / "active-active.yaml")
    urns = compare(snapshot_of(base), run_stack("active-active", stack_file=stack_file))
    renamed = {old.rsplit("::", 1)[-1]: new.rsplit("::", 1)[-1] for old, new in urns.renamed.items()}
    assert renamed["user-orders-service-eu"] == "user-orders-service-europe"
    assert renamed["user-orders-service-eu-readwrite-orders"] == "user-orders-service-europe-readwrite-orders"
    assert renamed["user-analytics-eu-read-us.orders"] == "user-analytics-europe-read-us.orders"
    # Only the ACL entries of remote topics named after the old alias go: their topics are new ones.
    assert sorted(u.rsplit("::", 1)[-1] for u in urns.replaced) == [
        "user-analytics-us-read-eu.orders", "user-analytics-us-read-eu.payments", "user-orders-service-us-read-eu.orders",
    ]
    assert sorted(u.rsplit("::", 1)[-1] for u in urns.added) == [
        "user-analytics-us-read-europe.orders", "user-analytics-us-read-europe.payments",
        "user-orders-service-us-read-europe.orders",
    ]
