"""The failover map: for each cluster assumed lost, where its topics survive, checked against the topic map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replication import cli, config, duplicate_copies, failover, topology
from replication.topicmap import is_heartbeats_topic, remote_topic_name
from tests.conftest import ROOT, run_checked
from tests.rendered import render
from tests.test_access import raw_config, three_regions

STACKS = {
    "dev": ROOT / "Pulumi.dev.yaml",
    "prod": ROOT / "Pulumi.prod.yaml",
    **{p.stem: p for p in sorted((ROOT / "examples").glob("*.yaml"))},
}


def _fmap(stack: str) -> dict[str, Any]:
    result = run_checked(stack, stack_file=STACKS[stack])
    fmap: dict[str, Any] = result.outputs["failoverMap"]
    return fmap


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_the_failover_map_agrees_with_the_topic_map(stack: str) -> None:
    result = run_checked(stack, stack_file=STACKS[stack])
    fmap, expected = result.outputs["failoverMap"], result.outputs["expectedTopics"]
    cfg = config.parse(raw_config(STACKS[stack]))
    flows = {f.key: f for f in cfg.flows}
    # Every cluster and every topic it will hold (MirrorMaker's heartbeats aside) is there, once.
    assert sorted(fmap["clusters"]) == sorted(expected)
    for alias, topics in fmap["clusters"].items():
        assert [t["topic"] for t in topics] == [t for t in expected[alias] if not is_heartbeats_topic(t)]
        for entry in topics:
            places = {(p["cluster"], p["topic"]) for p in entry["places"]}
            assert entry["singleCopy"] == (not places)
            for p in entry["places"]:
                assert p["topic"] in expected[p["cluster"]], p  # only places the topic map predicts
                assert p["cluster"] != alias or p["topic"] != entry["topic"]
                if p["relation"] != "copy":
                    assert not p["offsetsSynced"] and p["checkFirst"] == (None if p["relation"] == "original" else p["checkFirst"])
                    continue
                # Replaying MirrorMaker's naming along the flows gives the copy's name, and the
                # offsets are synced exactly when every flow of the path syncs them.
                name, at = entry["topic"], alias
                for hop in p["flows"]:
                    flow = flows[hop]
                    assert flow.source == at
                    name, at = remote_topic_name(flow.replication_policy, flow.source, name), flow.target
                assert (at, name) == (p["cluster"], p["topic"])
                syncs = all(flows[h].sync_group_offsets for h in p["flows"])
                assert p["offsetsSynced"] == syncs
                assert p["checkFirst"]["flow"] == p["flows"][0]
    # Every copy the topic map knows of a cluster's topic is a place of that topic.
    plan = topology.resolve(cfg)
    for alias, topics in fmap["clusters"].items():
        for entry in topics:
            places = {(p["cluster"], p["topic"]) for p in entry["places"] if p["relation"] == "copy"}
            assert places == {(c.cluster, c.topic) for c in plan.lineage.copies(alias, entry["topic"])}


def test_active_active_failover_of_us() -> None:
    fmap = _fmap("active-active")
    us = {t["topic"]: t for t in fmap["clusters"]["us"]}
    [orders] = us["orders"]["places"]
    assert orders == {
        "cluster": "eu", "topic": "us.orders", "relation": "copy", "flows": ["us->eu"],
        "offsetsSynced": True, "offsets": "synced by us->eu",
        "consumerGroups": ".* except console-consumer-.*,connect-.*,__.*",
        "readers": ["analytics", "orders-service"],
        "checkFirst": {"flow": "us->eu", "metrics": [{
            "system": "datadog", "destination": "datadog", "metric": "kafka_mirrormaker_summary.replication_lag",
            "filter": ["aiven-service:mm-eu"], "flowKey": "replication-flow",
            "unverified": ["the replication-flow tag's value for this flow: not documented by Aiven"],
        }]},
    }
    # eu.orders on us is a copy of eu's orders: the original survives, consumer offsets did not go back.
    [original] = us["eu.orders"]["places"]
    assert (original["cluster"], original["topic"], original["relation"]) == ("eu", "orders", "original")
    assert original["offsetsSynced"] is False and original["checkFirst"] is None
    assert original["offsets"] == "no flow carries consumer-group offsets from 'us' to 'eu'"
    assert fmap["warnings"] == [] and fmap["protected"] is False


def test_prod_warns_about_its_single_copy() -> None:
    fmap = _fmap("prod")
    target = {t["topic"]: t for t in fmap["clusters"]["target"]}
    assert target["topic-b"]["singleCopy"] and target["topic-b"]["places"] == []
    [copy] = {t["topic"]: t for t in fmap["clusters"]["source"]}["topic-a"]["places"]
    assert copy["readers"] == ["orders-app", "reporting"]
    assert fmap["warnings"] == [
        "failover: cluster 'target' holds the only copy of 'topic-b': losing it loses it; replicate it to another"
        " cluster with a flow"
    ]
    logged = [m for level, m in run_checked("prod").logs if level == "warning" and m.startswith("failover:")]
    assert logged == fmap["warnings"]


def test_single_copies_are_listed_but_not_warned_about_when_unprotected() -> None:
    fmap = _fmap("dev")
    assert {t["topic"]: t["singleCopy"] for t in fmap["clusters"]["target"]} == {"source.topic-a": False, "topic-b": True}
    assert fmap["warnings"] == []


def test_offsets_not_synced_say_which_setting(tmp_path: Path) -> None:
    raw = three_regions()
    raw["flows"][0]["syncGroupOffsets"] = False
    raw["mirrormakers"]["mm"]["kafkaMirrormaker"] = {"groups": "orders-.*", "groupsExclude": ""}
    plan = topology.resolve(config.parse(raw))
    fmap = failover.build(plan.config, plan.lineage, plan.access, {}).as_dict()
    places = {p["cluster"]: p for p in fmap["clusters"]["eu"][0]["places"]}
    assert places["us"]["offsets"] == "flow eu->us has syncGroupOffsets: false" and not places["us"]["offsetsSynced"]
    assert places["ap"]["offsetsSynced"] is False  # its path starts with eu->us
    assert places["dr"]["offsetsSynced"] and places["dr"]["consumerGroups"] == "orders-.*"
    assert places["dr"]["checkFirst"] == {"flow": "eu->dr", "metrics": []}
    raw["mirrormakers"]["mm"]["kafkaMirrormaker"] = {"emitCheckpointsEnabled": False}
    plan = topology.resolve(config.parse(raw))
    dr = failover.build(plan.config, plan.lineage, plan.access, {}).as_dict()["clusters"]["eu"][0]["places"][0]
    assert dr["offsets"] == "MirrorMaker 'mm' has emitCheckpointsEnabled: false, so flow eu->dr syncs no offsets"


# --- duplicate copies in meshes -----------------------------------------------------------------


def mesh(**flow_changes: Any) -> dict[str, Any]:
    clusters = {a: {"cloud": "c", "plan": "p", "topics": {"orders": {"partitions": 1, "replication": 2}}}
                for a in ("ap", "eu", "us")}
    flows = [{"source": s, "target": t, "emitHeartbeats": False, **flow_changes.get(f"{s}->{t}", {})}
             for s in ("ap", "eu", "us") for t in ("ap", "eu", "us") if s != t]
    return {"project": "p", "clusters": clusters, "mirrormakers": {"mm": {"cloud": "c", "plan": "p"}}, "flows": flows}


def test_a_full_mesh_warns_once_per_flow_writing_duplicates() -> None:
    plan = topology.resolve(config.parse(mesh()))
    dups = duplicate_copies.duplicate_flows(plan.lineage)
    assert [d.flow for d in dups] == ["ap->eu", "ap->us", "eu->ap", "eu->us", "us->ap", "us->eu"]
    eu_to_us = next(d for d in dups if d.flow == "eu->us")
    assert eu_to_us.message() == (
        "flow eu->us writes copies cluster 'us' already receives along a shorter path: 'eu.ap.orders' duplicates"
        " 'ap.orders', both from 'orders' on 'ap'; every record is stored and transferred twice. Restrict the flow"
        " to its source's local topics, for example topicsExclude: ['ap\\\\..*']"
    )


def test_the_suggested_exclusion_removes_the_duplicates() -> None:
    plan = topology.resolve(config.parse(mesh()))
    fixes = {d.flow: list(d.exclude) for d in duplicate_copies.duplicate_flows(plan.lineage)}
    changes = {flow: {"topicsExclude": [*config.DEFAULT_TOPICS_EXCLUDE, *ex]} for flow, ex in fixes.items()}
    fixed = topology.resolve(config.parse(mesh(**changes)))
    assert duplicate_copies.duplicate_flows(fixed.lineage) == []
    assert sorted(fixed.topic_map.as_dict()["us"]) == ["ap.orders", "eu.orders", "orders"]


def test_the_mesh_warning_reaches_pulumi_and_the_failover_map(tmp_path: Path) -> None:
    result = run_checked("mesh", stack_file=_stack_file(tmp_path, mesh()))
    warnings = [m for level, m in result.logs if level == "warning" and m.startswith("flow ")]
    assert len(warnings) == 6 and len(set(warnings)) == 6
    assert result.outputs["failoverMap"]["warnings"] == warnings


def _stack_file(tmp_path: Path, raw: dict[str, Any]) -> Path:
    import yaml

    path = tmp_path / "Pulumi.mesh.yaml"
    path.write_text(yaml.safe_dump({"config": {f"{config.NAMESPACE}:{k}": v for k, v in raw.items()}}))
    return path


# --- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_the_failover_command_in_every_format(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["failover", "--stack", "active-active", "--config", str(STACKS["active-active"]), "--format", fmt])
    out = capsys.readouterr().out
    assert code == 0
    if fmt == "json":
        assert json.loads(out) == _fmap("active-active")
    elif fmt == "text":
        assert "\n    orders:\n        on eu as us.orders (copy)\n" in out.split("If us is lost:")[1]
        assert "            readers: analytics, orders-service\n" in out
        assert ("            check first: flow us->eu: datadog: kafka_mirrormaker_summary.replication_lag"
                " {aiven-service:mm-eu} by replication-flow (unverified: the replication-flow tag's value for this"
                " flow: not documented by Aiven)\n") in out
    else:
        root = render(out)
        rows = [[c.text() for c in tr.iter("td")] for tr in root.iter("tr")]
        assert ["orders", "eu", "us.orders", "copy"] in [r[:4] for r in rows]
        assert [h.text() for h in root.iter("h3")] == ["If eu is lost", "If us is lost"]


def test_the_failover_command_marks_single_copies_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["failover", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "    topic-b: SINGLE COPY, held nowhere else\n" in out
    assert "warning: failover: cluster 'target' holds the only copy of 'topic-b'" in out


def test_the_failover_command_refuses_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = raw_config(STACKS["dev"])
    raw["users"] = {"app": {"permissions": [{"permission": "write", "topics": ["*"], "clusters": ["target"]}]}}
    code = cli.main(["failover", "--stack", "mesh", "--config", str(_stack_file(tmp_path, raw))])
    assert code == 2
    assert "users.app.permissions[0].topics[0]: 'write' on '*' in cluster 'target' covers 'source.topic-a'" in (
        capsys.readouterr().err
    )


def test_names_reach_the_markdown_only_inside_code_spans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Topic and user names may hold `_`, `*`-free emphasis markers and dots that autolink: all in code.
    raw = raw_config(STACKS["dev"])
    raw["clusters"]["source"]["topics"] = {"_x_.www.example.com": {"partitions": 1, "replication": 2}}
    raw["users"] = {"__u__": {"permissions": [{"permission": "read", "topics": ["_x_*"], "clusters": ["source"]}]}}
    argv = ["failover", "--stack", "mesh", "--config", str(_stack_file(tmp_path, raw)), "--format", "markdown"]
    assert cli.main(argv) == 0
    root = render(capsys.readouterr().out)
    assert not list(root.iter("em", "a"))
    assert [e.text() for e in root.iter("strong")] == ["single copy"]  # the program's own words only
    codes = {c.text() for c in root.iter("code")}
    assert {"_x_.www.example.com", "source._x_.www.example.com", "__u__"} <= codes
