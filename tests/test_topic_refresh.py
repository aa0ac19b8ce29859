"""MirrorMaker's topic refresh turned off (REVIEW2 6, /tmp/r2/rf-base.yaml and rf-head.yaml): plan and
failover warn on each flow, and `diff` reports turning it off and new topics under it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import cli, config, topic_refresh
from tests.conftest import ROOT, run_checked

NS = "aiven-kafka-replication"
DEV_TEXT = (ROOT / "Pulumi.dev.yaml").read_text()
RF_BASE_TEXT = DEV_TEXT.replace("refreshTopicsEnabled: true", "refreshTopicsEnabled: false")
RF_HEAD_TEXT = RF_BASE_TEXT.replace("        topic-a: {partitions: 3, replication: 2}\n",
                                    "        topic-a: {partitions: 3, replication: 2}\n"
                                    "        topic-c: {partitions: 3, replication: 2}\n")
NOT_REFRESHED = ("copies only the topics and partitions its source has when the flow starts: one created later is "
                 "not copied until the flow restarts")
PLAN_WARNING = (f"{NS}:mirrormakers.mm.kafkaMirrormaker.refreshTopicsEnabled: false: flow source->target "
                f"{NOT_REFRESHED}, though expectedTopics and the failover map list its copies of every matching topic")
FAILOVER_WARNING = (f"failover: flow source->target runs on MirrorMaker 'mm' with refreshTopicsEnabled: false, so it "
                    f"{NOT_REFRESHED}; this map lists its copies of such topics all the same: check they exist "
                    "before failing over")


def raw(text: str) -> dict[str, Any]:
    doc = yaml.safe_load(text)["config"]
    return {k.removeprefix(f"{NS}:"): v for k, v in doc.items()}


def test_the_stacks_with_refresh_are_silent() -> None:
    cfg = config.parse(raw(DEV_TEXT))
    assert topic_refresh.warnings(cfg) == [] and topic_refresh.failover_warnings(cfg) == []


def test_refresh_off_warns_on_each_enabled_flow() -> None:
    cfg = config.parse(raw(RF_BASE_TEXT))
    assert [str(w) for w in topic_refresh.warnings(cfg)] == [PLAN_WARNING]
    assert topic_refresh.failover_warnings(cfg) == [FAILOVER_WARNING]
    paused = raw(RF_BASE_TEXT)
    paused["flows"][0]["enabled"] = False
    assert topic_refresh.warnings(config.parse(paused)) == []


def test_plan_and_failover_say_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(RF_HEAD_TEXT)
    result = run_checked("dev", stack_file=stack)
    assert ("warning", PLAN_WARNING) in result.logs
    assert FAILOVER_WARNING in result.outputs["failoverMap"]["warnings"]
    assert cli.main(["failover", "--stack", "dev", "--config", str(stack), "--format", "json"]) == 0
    assert FAILOVER_WARNING in json.loads(capsys.readouterr().out)["warnings"]


def _diff(tmp_path: Path, capsys: pytest.CaptureFixture[str], base: str, head: str) -> tuple[int, list[dict[str, Any]]]:
    (tmp_path / "base").mkdir(parents=True)
    (tmp_path / "base" / "Pulumi.dev.yaml").write_text(base)
    (tmp_path / "Pulumi.dev.yaml").write_text(head)
    code = cli.main(["diff", "--stack", "dev", "--config", str(tmp_path / "Pulumi.dev.yaml"), "--base-config",
                     str(tmp_path / "base" / "Pulumi.dev.yaml"), "--format", "json", "--fail-on-data-loss"])
    return code, json.loads(capsys.readouterr().out)["findings"]


def test_turning_refresh_off_is_replication_stops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, found = _diff(tmp_path, capsys, DEV_TEXT, RF_BASE_TEXT)
    assert code == 1
    assert [(f["class"], f["rule"], f["name"], f["path"], f["before"], f["after"]) for f in found] == [
        ("replication-stops", "topic-refresh-off", "mm-service",
         "kafkaMirrormakerUserConfig.kafkaMirrormaker.refreshTopicsEnabled", True, False)
    ]
    assert found[0]["message"].startswith(
        "MirrorMaker service `mm`: `kafkaMirrormakerUserConfig.kafkaMirrormaker.refreshTopicsEnabled` `true` → "
        "`false` (its flows: flow `source` → `target` on MirrorMaker `mm`). MirrorMaker lists the source's topics"
    )


def test_unset_to_off_is_found_and_back_on_is_silent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unset = DEV_TEXT.replace("        refreshTopicsEnabled: true\n", "")
    code, found = _diff(tmp_path / "a", capsys, unset, RF_BASE_TEXT)
    assert code == 1 and [(f["rule"], f["before"]) for f in found] == [("topic-refresh-off", None)]
    code, found = _diff(tmp_path / "b", capsys, RF_BASE_TEXT, DEV_TEXT)
    assert (code, found) == (0, [])


def test_a_new_topic_under_refresh_off_cannot_be_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, found = _diff(tmp_path, capsys, RF_BASE_TEXT, RF_HEAD_TEXT)
    assert code == 1
    assert [(f["class"], f["rule"], f["name"], f["path"], f["after"]) for f in found] == [
        ("cannot-judge", "copy-without-refresh", "source-to-target-flow", "expectedTopics.target", ["source.topic-c"])
    ]
    assert found[0]["message"].startswith(
        "flow `source` → `target` on MirrorMaker `mm` (with `refreshTopicsEnabled: false`): `expectedTopics.target` "
        "`(unset)` → `[\"source.topic-c\"]`: its source topics `topic-c` are new, and the flow copies only the "
        "topics its source has when it starts. Whether it is copied depends on when the flow last started"
    )
    # With refresh on, the same new topic is copied within refreshTopicsIntervalSeconds: silent.
    on = RF_HEAD_TEXT.replace("refreshTopicsEnabled: false", "refreshTopicsEnabled: true")
    code, found = _diff(tmp_path / "on", capsys, DEV_TEXT, on)
    assert (code, found) == (0, [])
