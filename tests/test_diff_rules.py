"""What `diff` flags, edit by edit: a table of base → head stack edits run through the real CLI in
every format, asserting each finding's class, rule and key path and the exit codes with and without
`--fail-on-data-loss`. Safe edits must stay silent.

Each distinct stack is planned once (cached by its text); the base side is planned in-process from
its own stack file, so no git subprocess runs per case (test_diff.py covers the git side).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from replication import cli, diff_rules, engine
from replication import diff as diffs
from replication.markdown import message as markdown_message
from tests.conftest import ROOT

NS = "aiven-kafka-replication"
Config = dict[str, Any]
Edit = Callable[[Config], None]

#: The dev stack with what the rules read: a topic with its own retention, one that inherits the
#: cluster's, a tiered one, explicit flow switches, and versions Aiven does not mark deprecated.
BASE: Config = {
    "project": "my-aiven-project",
    "clusters": {
        "source": {
            "cloud": "google-europe-west1",
            "plan": "business-4",
            "kafkaVersion": "4.2",
            "kafka": {"logRetentionBytes": 1_000_000_000, "logRetentionHours": 168},
            "tieredStorage": {"enabled": True},
            "topics": {
                "topic-a": {"partitions": 3, "replication": 3, "config": {"retentionMs": "2592000000"}},
                "logs": {"partitions": 3, "replication": 2},
                "tiered": {
                    "partitions": 3,
                    "replication": 2,
                    "config": {"remoteStorageEnable": True, "retentionMs": "2592000000",
                               "localRetentionMs": "86400000"},
                },
            },
        },
        "target": {
            "cloud": "google-europe-west1",
            "plan": "business-4",
            "kafkaVersion": "4.2",
            "tieredStorage": {"enabled": True},  # MirrorMaker's copy of `tiered` is tiered too
            "topics": {"topic-b": {"partitions": 3, "replication": 2}},
        },
    },
    "mirrormakers": {
        "mm": {
            "cloud": "google-europe-west1",
            "plan": "business-4",
            "kafkaMirrormaker": {"refreshTopicsEnabled": True, "refreshTopicsIntervalSeconds": 600},
        },
    },
    "flows": [
        {
            "source": "source",
            "target": "target",
            "mirrormaker": "mm",
            "topics": [".*"],
            "syncGroupOffsets": True,
            "emitHeartbeats": True,
            "emitBackwardHeartbeats": True,
            "replicationFactor": 3,
        }
    ],
}

FAILS_ALWAYS = {"cannot-apply"}
FAILS_WITH_FLAG = {"cannot-apply", "data-loss", "replication-stops", "cannot-judge"}


def flow(c: Config) -> Config:
    f: Config = c["flows"][0]
    return f


def _set(path: str, value: Any) -> Edit:
    """An edit that sets (or, with None, removes) one key path, e.g. `clusters.source.plan`."""

    def edit(c: Config) -> None:
        *parents, last = path.split(".")
        node: Any = c
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return edit


def _all(*edits: Edit) -> Edit:
    def edit(c: Config) -> None:
        for e in edits:
            e(c)

    return edit


def _rename_source_alias(c: Config) -> None:
    c["clusters"]["primary"] = {**c["clusters"].pop("source"), "serviceName": "source"}
    flow(c)["source"] = "primary"


def _renamed_from(alias: str, new: str) -> Edit:
    """Rename a cluster's alias with `renamedFrom`, keeping its service (the state moves)."""

    def edit(c: Config) -> None:
        c["clusters"][new] = {**c["clusters"].pop(alias), "serviceName": alias, "renamedFrom": alias}
        side = "source" if flow(c)["source"] == alias else "target"
        flow(c)[side] = new

    return edit


def _protect(c: Config) -> None:
    c["protect"] = True
    for spec in (*c["clusters"].values(), *c["mirrormakers"].values()):
        spec["ipFilter"] = ["10.0.0.0/8"]


def _users(c: Config) -> None:
    c["users"] = {
        "orders-app": {"permissions": [{"permission": "readwrite", "topics": ["topic-a"], "clusters": ["source"]}]},
        "reporting": {"permissions": [{"permission": "read", "topics": ["topic-.*"], "clusters": ["source", "target"]}]},
    }


def _second_flow(c: Config) -> None:
    c["flows"].append({"source": "target", "target": "source", "mirrormaker": "mm", "topics": ["topic-b"]})


@dataclass(frozen=True)
class Case:
    id: str
    edit: Edit
    expected: tuple[tuple[str, str, str], ...]
    """(class, rule, key path) of every finding; empty for a safe edit."""
    base: Edit | None = None
    """An edit of the base first, when the case starts from another state."""
    exact: bool = True
    """False: the expected findings are among those found (others may come from resources renamed)."""
    says: tuple[str, ...] = ()
    """Phrases the findings' messages must hold."""
    old_base: bool = False
    """Plan the base as code older than the `topicOrigins` output would (the output dropped)."""


CASES = [
    # --- data-loss
    Case("topic retentionMs shorter", _set("clusters.source.topics.topic-a.config.retentionMs", "86400000"),
         (("data-loss", "topic-retention-cut", "config.retentionMs"),), says=("effective 30 d → 1 d",)),
    Case("topic retentionBytes from inherited unlimited", _set("clusters.source.topics.logs.config",
                                                               {"retentionBytes": "1000000"}),
         (("data-loss", "topic-retention-cut", "config.retentionBytes"),), says=("effective 1 GB → 1 MB",)),
    Case("topic drops its own retentionMs and inherits 168 h", _set("clusters.source.topics.topic-a.config", None),
         (("data-loss", "topic-retention-cut", "config.retentionMs"),), says=("effective 30 d → 7 d",)),
    Case("cluster logRetentionHours shorter", _set("clusters.source.kafka.logRetentionHours", 24),
         (("data-loss", "cluster-retention-cut", "kafkaUserConfig.kafka.logRetentionHours"),),
         says=("effective 7 d → 1 d", "declared here: `logs`; copies and others too")),
    Case("cluster logRetentionMs set below the hours", _set("clusters.source.kafka.logRetentionMs", 3_600_000),
         (("data-loss", "cluster-retention-cut", "kafkaUserConfig.kafka.logRetentionMs"),),
         says=("effective 7 d → 1 h",)),
    Case("cluster logRetentionBytes shorter", _set("clusters.source.kafka.logRetentionBytes", 500_000_000),
         (("data-loss", "cluster-retention-cut", "kafkaUserConfig.kafka.logRetentionBytes"),),
         says=("effective 1 GB → 500 MB", "`logs`, `tiered`, `topic-a`")),
    Case("cleanupPolicy delete → compact", _set("clusters.source.topics.logs.config", {"cleanupPolicy": "compact"}),
         (("data-loss", "topic-cleanup-policy", "config.cleanupPolicy"),), says=("gains compact",)),
    Case("cleanupPolicy compact → delete", _set("clusters.source.topics.logs.config", {"cleanupPolicy": "delete"}),
         (("data-loss", "topic-cleanup-policy", "config.cleanupPolicy"),),
         base=_set("clusters.source.topics.logs.config", {"cleanupPolicy": "compact"}), says=("gains delete",)),
    Case("cluster logCleanupPolicy gains compact", _set("clusters.target.kafka", {"logCleanupPolicy": "compact,delete"}),
         (("data-loss", "cluster-cleanup-policy", "kafkaUserConfig.kafka.logCleanupPolicy"),),
         says=("declared here: `topic-b`",)),
    Case("source topic deleted", lambda c: c["clusters"]["source"]["topics"].pop("logs"),
         (("data-loss", "topic-lost", "(resource)"),
          ("replication-stops", "replication-stops", "expectedTopics.target")),
         says=("topic `logs` on `source` is deleted", "`source.logs` on `target` stops receiving records")),
    Case("Kafka service replaced", _set("clusters.target.serviceName", "target-dr"),
         (("data-loss", "service-lost", "serviceName"), ("data-loss", "topic-lost", "serviceName"),
          ("advisory", "replication-pauses", "sourceServiceName")),
         says=("Kafka service `target` is replaced",)),
    # --- replication-stops
    Case("replicationPolicy default → identity", _set("flows.0.replicationPolicy", "identity"),
         (("replication-stops", "replication-stops", "replicationPolicyClass"),),
         says=("`source.topic-a` on `target` stops receiving records, new records go to `topic-a` from now on",
               "translated consumer-group offsets do not carry over")),
    Case("narrower topics", _set("flows.0.topics", ["topic-a"]),
         (("replication-stops", "replication-stops", "topics"), ("cannot-judge", "flow-filter-narrowed", "topics")),
         says=("`source.logs` on `target` stops receiving records, no topic receives them instead",
               "`source.tiered` on `target`",
               "`topics` `[\".*\"]` → `[\"topic-a\"]`: it may stop copying to `target` topics the topic map does not know",
               "check by hand which topics stop")),
    Case("topicsExclude matching a replicated topic", _set("flows.0.topicsExclude", ["logs"]),
         (("replication-stops", "replication-stops", "topicsBlacklists"),), says=("`source.logs` on `target`",)),
    Case("flow disabled", _set("flows.0.enabled", False),
         (("replication-stops", "replication-stops", "enable"),), says=("`source.topic-a` on `target`",)),
    Case("topic refresh turned off (REVIEW2 6)", _set("mirrormakers.mm.kafkaMirrormaker.refreshTopicsEnabled", False),
         (("replication-stops", "topic-refresh-off", "kafkaMirrormakerUserConfig.kafkaMirrormaker.refreshTopicsEnabled"),),
         says=("(its flows: flow `source` → `target` on MirrorMaker `mm`)", "not copied until the flow restarts")),
    Case("a new topic while topic refresh is off (REVIEW2 6)",
         _set("clusters.source.topics.orders", {"partitions": 3, "replication": 2}),
         (("cannot-judge", "copy-without-refresh", "expectedTopics.target"),),
         base=_set("mirrormakers.mm.kafkaMirrormaker.refreshTopicsEnabled", False),
         says=("its source topics `orders` are new", "restart the flow")),
    # --- cannot-judge: topics created outside the stack (the topic map does not know them)
    Case("topics narrowed to the topics the stack knows", _set("flows.0.topics", ["topic-a", "logs", "tiered"]),
         (("cannot-judge", "flow-filter-narrowed", "topics"),),
         says=("`topics` `[\".*\"]` → `[\"topic-a\", \"logs\", \"tiered\"]`", "check by hand which topics stop")),
    Case("a literal topic the map does not know dropped", _set("flows.0.topics", ["topic-a", "logs", "tiered"]),
         (("cannot-judge", "flow-filter-narrowed", "topics"),),
         base=_set("flows.0.topics", ["topic-a", "logs", "tiered", "orders"]),
         says=("`orders` would stop receiving records on `target`, and the topic map does not know whether they exist",)),
    Case("topics narrowed by a pattern the filters cannot be compared with", _set("flows.0.topics", ["(?!tmp).*"]),
         (("cannot-judge", "flow-filter-narrowed", "topics"),),
         says=("the filters cannot be compared exactly: `'(?!tmp).*' has a negative lookahead or lookbehind`",)),
    Case("topicsExclude widened by a pattern", _set("flows.0.topicsExclude", ["tmp-.*"]),
         (("cannot-judge", "flow-filter-narrowed", "topicsBlacklists"),),
         says=("`topicsBlacklists` `[", "\"__.*\"]` → `[", "\"tmp-.*\"]`: it may stop copying to `target`")),
    Case("flow and MirrorMaker deleted", _all(_set("flows", []), _set("mirrormakers", {})),
         (("replication-stops", "replication-stops", "(resource)"),),
         says=("flow `source` → `target` on MirrorMaker `mm` is deleted",)),
    Case("source alias renamed", _rename_source_alias,
         (("replication-stops", "replication-stops", "(resource)"),), exact=False,
         says=("`source.topic-a` on `target` stops receiving records, new records go to `primary.topic-a`",)),
    # --- cannot-apply
    Case("partition decrease", _set("clusters.source.topics.logs.partitions", 2),
         (("cannot-apply", "partition-decrease", "partitions"),), says=("keep 3, or create a new topic",)),
    Case("Kafka version downgrade", _set("clusters.source.kafkaVersion", "4.1"),
         (("cannot-apply", "version-downgrade", "kafkaUserConfig.kafkaVersion"),), says=("`4.2` → `4.1`",)),
    Case("Kafka 3.8 to 4.1, which Aiven refuses (4.x only from 3.9)", _set("clusters.source.kafkaVersion", "4.1"),
         (("cannot-apply", "version-jump-refused", "kafkaUserConfig.kafkaVersion"),),
         base=_set("clusters.source.kafkaVersion", "3.8"), says=("`3.8` → `4.1`", "upgrade to 3.9 first")),
    Case("Kafka 3.6 to 4.3", _set("clusters.source.kafkaVersion", "4.3"),
         (("cannot-apply", "version-jump-refused", "kafkaUserConfig.kafkaVersion"),),
         base=_set("clusters.source.kafkaVersion", "3.6")),
    Case("tiered storage turned off", _set("clusters.source.topics.tiered.config.remoteStorageEnable", False),
         (("cannot-apply", "remote-storage-off", "config.remoteStorageEnable"),)),
    # --- access-removed
    Case("Kafka user removed", lambda c: c["users"].pop("reporting"), base=_users,
         expected=(*(("access-removed", "user-removed", "(resource)"),) * 2,
                   *(("access-removed", "acl-removed", "(resource)"),) * 2),
         says=("Kafka user `reporting` on `target` is deleted", "ACL `read` on topic `topic-.*` for user `reporting`")),
    Case("ACL narrowed from readwrite to read", _set("users.orders-app.permissions.0.permission", "read"),
         base=_users, expected=(("access-removed", "acl-removed", "(resource)"),),
         says=("ACL `readwrite` on topic `topic-a` for user `orders-app` on `source` is deleted",)),
    # --- advisory
    Case("group-offset sync off", _set("flows.0.syncGroupOffsets", False),
         (("advisory", "group-offset-sync-off", "syncGroupOffsetsEnabled"),)),
    Case("heartbeats off", _all(_set("flows.0.emitHeartbeats", False), _set("flows.0.emitBackwardHeartbeats", False)),
         (("advisory", "heartbeats-off", "emitHeartbeatsEnabled"),
          ("advisory", "heartbeats-off", "emitBackwardHeartbeatsEnabled"))),
    Case("topic replication factor lower", _set("clusters.source.topics.topic-a.replication", 2),
         (("advisory", "replication-factor-lower", "replication"),)),
    Case("flow replication factor lower", _set("flows.0.replicationFactor", 2),
         (("advisory", "replication-factor-lower", "replicationFactor"),), says=("effective 3 → 2",)),
    Case("flow replication factor from unset (the target's default 3) to 1", _set("flows.0.replicationFactor", 1),
         (("advisory", "replication-factor-lower", "replicationFactor"),), base=_set("flows.0.replicationFactor", None),
         says=("`replicationFactor` `(unset)` → `1` (effective 3 → 1)",)),
    Case("source alias renamed under the identity policy", _renamed_from("source", "primary"),
         (("advisory", "replication-restarts", "sourceCluster"), ("advisory", "replication-pauses", "sourceCluster")),
         base=_set("flows.0.replicationPolicy", "identity"),
         says=("`sourceCluster` `source` → `primary`: the copies keep their names",
               "copy the source's retained history again, leaving duplicates on the target")),
    Case("source alias renamed under the identity policy, topics narrowed",
         _all(_renamed_from("source", "primary"), _set("flows.0.topics", ["topic-a", "logs", "tiered"])),
         (("advisory", "replication-restarts", "sourceCluster"), ("advisory", "replication-pauses", "sourceCluster"),
          ("cannot-judge", "flow-filter-narrowed", "topics")),
         base=_set("flows.0.replicationPolicy", "identity"), says=("check by hand which topics stop",)),
    Case("target alias renamed", _renamed_from("target", "dr"),
         (("advisory", "replication-restarts", "targetCluster"), ("advisory", "replication-pauses", "targetCluster")),
         says=("`targetCluster` `target` → `dr`: the copies keep their names",)),
    Case("MirrorMaker replaced", _set("mirrormakers.mm.serviceName", "mm-2"),
         (("advisory", "replication-pauses", "serviceName"),
          ("advisory", "replication-pauses", "destinationServiceName"),
          ("advisory", "replication-pauses", "destinationServiceName"),
          ("advisory", "replication-pauses", "serviceName"))),
    Case("protect lifted", lambda c: c.update(protect=False), base=_protect,
         expected=tuple(("advisory", "protect-lifted", "protect") for _ in range(7))),
    # --- cannot-judge
    Case("Kafka 3.9 to 4.1: only in KRaft mode, which the plan does not know", _set("clusters.source.kafkaVersion", "4.1"),
         (("cannot-judge", "version-needs-kraft", "kafkaUserConfig.kafkaVersion"),),
         base=_set("clusters.source.kafkaVersion", "3.9"),
         says=("`3.9` → `4.1`", "one still on ZooKeeper must be migrated to KRaft first",
               "check that the service runs KRaft")),
    Case("Kafka version set where it was unset: the running version is unknown offline",
         _set("clusters.source.kafkaVersion", "4.1"),
         (("cannot-judge", "version-from-unset", "kafkaUserConfig.kafkaVersion"),),
         base=_set("clusters.source.kafkaVersion", None),
         says=("`(unset)` → `4.1`", "cannot be known offline", "may be a downgrade",
               "check the version the service runs")),
    Case("base planned by older code, flow narrowed", _set("flows.0.topics", ["topic-a"]), old_base=True,
         expected=(("cannot-judge", "replication-stops", "expectedTopics.target"),),
         says=("the base plan has no `topicOrigins` output",)),
    # --- safe edits stay silent
    Case("more partitions", _set("clusters.source.topics.logs.partitions", 6), ()),
    Case("longer topic retention", _set("clusters.source.topics.topic-a.config.retentionMs", "-1"), ()),
    Case("longer cluster retention", _set("clusters.source.kafka.logRetentionHours", -1), ()),
    Case("cluster retention moves from hours to the same ms",
         _all(_set("clusters.source.kafka.logRetentionHours", None),
              _set("clusters.source.kafka.logRetentionMs", 168 * 3_600_000)), ()),
    Case("local retention cut on a tiered topic", _set("clusters.source.topics.tiered.config.localRetentionMs",
                                                       "3600000"), ()),
    Case("compaction dropped from compact,delete", _set("clusters.source.topics.logs.config",
                                                        {"cleanupPolicy": "delete"}), (),
         base=_set("clusters.source.topics.logs.config", {"cleanupPolicy": "compact,delete"})),
    Case("new topic", _set("clusters.source.topics.orders", {"partitions": 6, "replication": 3}), ()),
    Case("new flow", _second_flow, ()),
    Case("wider topics", _set("flows.0.topics", [".*", "more"]), ()),
    Case("topics widened from a pattern to every topic", _set("flows.0.topics", [".*"]), (),
         base=_set("flows.0.topics", ["topic-.*"])),
    Case("topicsExclude pattern narrowed to a pattern it contains", _set("flows.0.topicsExclude", ["tmp-[0-9]+"]), (),
         base=_set("flows.0.topicsExclude", ["tmp-.*"])),
    Case("literal topics rewritten as a pattern that still matches them", _set("flows.0.topics", ["topic-.*", "logs"]),
         (), base=_set("flows.0.topics", ["topic-a", "logs"])),
    Case("topicsExclude narrowed", _set("flows.0.topicsExclude", ["tmp"]), (),
         base=_set("flows.0.topicsExclude", ["tmp", "tmp-.*"])),
    Case("flow replication factor set to the target's default", _set("flows.0.replicationFactor", 3), (),
         base=_set("flows.0.replicationFactor", None)),
    Case("refresh interval", _set("mirrormakers.mm.kafkaMirrormaker.refreshTopicsIntervalSeconds", 300), ()),
    Case("cloud move", _set("clusters.target.cloud", "aws-eu-west-1"), ()),
    Case("plan upgrade", _set("clusters.source.plan", "business-8"), ()),
    Case("Kafka version upgrade", _set("clusters.source.kafkaVersion", "4.2"), (),
         base=_set("clusters.source.kafkaVersion", "4.1")),
    Case("Kafka 3.6 to 3.9, the step before 4.x", _set("clusters.source.kafkaVersion", "3.9"), (),
         base=_set("clusters.source.kafkaVersion", "3.6")),
    Case("group-offset sync turned on", _set("flows.0.syncGroupOffsets", True), (),
         base=_set("flows.0.syncGroupOffsets", False)),
]


def stack_text(edit: Edit | None, then: Edit | None = None) -> str:
    config = copy.deepcopy(BASE)
    for e in (edit, then):
        if e is not None:
            e(config)
    return yaml.safe_dump({"config": {f"{NS}:{k}": v for k, v in config.items()}}, sort_keys=True)


@functools.cache
def planned(stack: str, text: str) -> engine.RunResult:
    """Each distinct stack is planned once for the whole module."""
    with tempfile.TemporaryDirectory(prefix="diff-rules-") as tmp:
        path = Path(tmp) / f"Pulumi.{stack}.yaml"
        path.write_text(text)
        return _real_run_program(stack, ROOT, stack_file=path)


_real_run_program = engine.run_program


def run_case(case: Case, tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str]:
    """`diff --base-config BASE --config HEAD` through the CLI; each side's plan comes from the
    engine once per distinct stack file text (the CLI and replication.base call it as usual)."""
    base_text = stack_text(case.base)
    head_text = stack_text(case.base, case.edit)
    files = {}
    for side, text in (("base", base_text), ("head", head_text)):
        files[side] = tmp / f"{side}.yaml"
        files[side].write_text(text)

    def run_program(stack: str, program_dir: Path = ROOT, *, stack_file: Path | None = None,
                    config_overrides: Any = None) -> engine.RunResult:
        assert stack_file is not None and config_overrides is None
        text = stack_file.read_text()
        result = planned(stack, text)
        if case.old_base and text == base_text:
            # As code older than the `topicOrigins` output planned it.
            outputs = {k: v for k, v in result.outputs.items() if k != "topicOrigins"}
            result = dataclasses.replace(result, outputs=outputs)
        return result

    monkeypatch.setattr(engine, "run_program", run_program)
    argv = ["diff", "--stack", "rules", "--base-config", str(files["base"]), "--config", str(files["head"]), *args]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_what_the_diff_flags(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_case(case, tmp_path, monkeypatch, capsys, "--format", "json", "--fail-on-data-loss")
    found = json.loads(out)["findings"]
    got = sorted((f["class"], f["rule"], f["path"]) for f in found)
    if case.exact:
        assert got == sorted(case.expected)
    else:
        assert set(case.expected) <= set(got), got
    classes = {f["class"] for f in found}
    assert code == (1 if classes & FAILS_WITH_FLAG else 0)
    assert run_case(case, tmp_path, monkeypatch, capsys, "--format", "json")[0] == (1 if classes & FAILS_ALWAYS else 0)

    rules = {r.id: r for r in diff_rules.RULES}
    for f in found:
        message = f["message"]
        # Each finding names its key path and old → new, and gives the rule's consequence.
        if not f["path"].startswith("("):
            assert f"`{f['path']}` " in message and " → " in message, message
        # A finding of its rule's own class gives the consequence; one the rule could not judge says why.
        rule = rules[f["rule"]]
        assert (rule.consequence in message) == (f["class"] == rule.cls), message
    messages = " ".join(f["message"] for f in found)
    for phrase in case.says:
        assert phrase in messages

    # The same findings in the other formats.
    _, text = run_case(case, tmp_path, monkeypatch, capsys, "--fail-on-data-loss")
    for f in found:
        assert f"    {f['class']}: {f['message']}\n" in text
    _, markdown = run_case(case, tmp_path, monkeypatch, capsys, "--format", "markdown", "--fail-on-data-loss")
    assert ("[!CAUTION]" in markdown) == bool(classes & FAILS_WITH_FLAG)
    assert ("[!NOTE]" in markdown) == ("advisory" in classes)
    assert ("[!WARNING]" in markdown) == ("access-removed" in classes)
    for f in found:
        shown = markdown_message(f["message"])
        assert shown in markdown
        if f["class"] in FAILS_WITH_FLAG:
            assert f"> - **{diff_rules.CLASSES[f['class']].title}**: {shown}" in markdown


def test_the_table_covers_every_class_and_rule() -> None:
    tested = {rule for case in CASES for _, rule, _ in case.expected}
    assert tested == {r.id for r in diff_rules.RULES}
    assert {cls for case in CASES for cls, _, _ in case.expected} == set(diff_rules.CLASSES)
    assert len([c for c in CASES if not c.expected]) >= 8


# --- rules on plan documents: resources the stack does not declare yet, and values it cannot judge ------


def _doc(*resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"project": "p", "stack": "s", "resources": list(resources), "outputs": outputs or {}}


def _res(type_: str, name: str, **inputs: Any) -> dict[str, Any]:
    return {"urn": f"urn:{name}", "type": type_, "name": name, "parent": None, "custom": True, "inputs": inputs,
            "protect": False, "deleteBeforeReplace": False, "importId": None}


def _classified(base: dict[str, Any], head: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.cls, f.rule, f.path) for f in diffs.compare(base, head).findings]


def test_deleting_a_kafka_user_or_acl_removes_access_and_does_not_fail() -> None:
    user = _res(diffs.USER, "app-user", project="p", serviceName="k", username="app")
    acl = _res(diffs.ACL, "app-acl", project="p", serviceName="k", username="app", topic="orders", permission="read")
    d = diffs.compare(_doc(user, acl), _doc())
    assert [(f.cls, f.rule, f.name) for f in d.findings] == [
        ("access-removed", "user-removed", "app-user"), ("access-removed", "acl-removed", "app-acl")]
    assert "Kafka user `app` on `k` is deleted" in d.findings[0].message
    assert "ACL `read` on topic `orders` for user `app` on `k` is deleted" in d.findings[1].message
    assert d.failing(True) == [] and d.failing(False) == []
    # A replaced user gets a new password: the clients holding the old one are cut off too.
    renamed = {**user, "inputs": {**user["inputs"], "username": "app2"}}
    replaced = diffs.Change("urn:app-user", diffs.USER, "app-user", "replace",
                            (diffs.InputChange("username", "app", "app2", True),), before=user, after=renamed)
    (finding,) = diff_rules.judge(_doc(user), _doc(renamed), [replaced])
    assert (finding.cls, finding.path, finding.before, finding.after) == ("access-removed", "username", "app", "app2")
    markdown = diffs_markdown(d)
    assert "> [!WARNING]\n> - **access removed**: Kafka user `app`" in markdown and "[!CAUTION]" not in markdown


def diffs_markdown(d: diffs.Diff) -> str:
    from replication import markdown

    return markdown.diff(d, _doc())


def test_an_unparsable_or_unknown_retention_cannot_be_judged() -> None:
    kafka = _res(diffs.KAFKA, "k", serviceName="k", kafkaUserConfig={"kafka": {"logRetentionHours": 24}})
    topic_ = _res(diffs.TOPIC, "t", serviceName="k", topicName="t", config={"retentionMs": "86400000"})
    unknown = {**topic_, "inputs": {**topic_["inputs"], "config": {"retentionMs": "[unknown]"}}}
    assert _classified(_doc(kafka, topic_), _doc(kafka, unknown)) == [
        ("cannot-judge", "topic-retention-cut", "config.retentionMs")]
    d = diffs.compare(_doc(kafka, topic_), _doc(kafka, unknown))
    assert d.failing(True) and not d.failing(False)
    # A topic on a cluster the stack does not manage inherits settings nobody here knows.
    unset = {**topic_, "inputs": {**topic_["inputs"], "config": {}}}
    assert _classified(_doc(topic_), _doc(unset)) == [("cannot-judge", "topic-retention-cut", "config.retentionMs")]


@pytest.mark.parametrize(
    ("old", "new", "effective"),
    [
        ({}, {"logRetentionMs": 3_600_000}, (7 * 86_400_000, 3_600_000)),
        ({"logRetentionHours": -1}, {"logRetentionHours": 1000}, (float("inf"), 1000 * 3_600_000)),
        ({"logRetentionMs": -1, "logRetentionHours": 1}, {"logRetentionHours": 1}, (float("inf"), 3_600_000)),
    ],
)
def test_cluster_time_retention_takes_the_most_specific_setting(old: Config, new: Config,
                                                                effective: tuple[float, float]) -> None:
    assert (diff_rules.cluster_retention_ms(old), diff_rules.cluster_retention_ms(new)) == effective
    base = _res(diffs.KAFKA, "k", serviceName="k", kafkaUserConfig={"kafka": old})
    head = {**base, "inputs": {**base["inputs"], "kafkaUserConfig": {"kafka": new}}}
    assert [r for _, r, _ in _classified(_doc(base), _doc(head))] == ["cluster-retention-cut"]
    assert _classified(_doc(head), _doc(base)) == [], "the reverse lengthens retention"


def test_a_topic_with_its_own_value_ignores_the_clusters_cut() -> None:
    kafka = _res(diffs.KAFKA, "k", serviceName="k", kafkaUserConfig={"kafka": {"logRetentionBytes": 10**9}})
    own = _res(diffs.TOPIC, "t", serviceName="k", topicName="t", config={"retentionBytes": "-1"})
    cut = {**kafka, "inputs": {**kafka["inputs"], "kafkaUserConfig": {"kafka": {"logRetentionBytes": 10**6}}}}
    d = diffs.compare(_doc(kafka, own), _doc(cut, own))
    (finding,) = d.findings
    assert (finding.rule, finding.name) == ("cluster-retention-cut", "k")
    assert "declared here: none" in finding.message


def test_a_stopped_copy_names_every_topic_and_counts_the_rest() -> None:
    origins = {"t": {f"s.x{i:02}": {"kind": "replicated", "flow": "s->t", "upstream": f"x{i:02}"} for i in range(12)}}
    flow_ = _res(diffs.FLOW, "s-to-t-flow", serviceName="mm", sourceCluster="s", targetCluster="t", enable=True,
                 topics=[".*"])
    narrowed = {**flow_, "inputs": {**flow_["inputs"], "topics": ["none"]}}
    d = diffs.compare(_doc(flow_, outputs={"topicOrigins": origins}), _doc(narrowed, outputs={"topicOrigins": {"t": {}}}))
    # `.*` → `none` may also stop topics created outside the stack: those cannot be judged.
    assert [(f.cls, f.rule) for f in d.findings] == [("cannot-judge", "flow-filter-narrowed"),
                                                     ("replication-stops", "replication-stops")]
    finding = d.findings[1]
    assert "`s.x09` on `t`" in finding.message
    assert "`s.x10`" not in finding.message and "and 2 more topics" in finding.message


@pytest.mark.parametrize(("default", "expected"), [(None, "effective 3 → 1"), (2, "effective 2 → 1"), (1, None)])
def test_an_unset_flow_replication_factor_is_the_targets_default(default: int | None, expected: str | None) -> None:
    settings = {"kafka": {"defaultReplicationFactor": default}} if default else {}
    kafka = _res(diffs.KAFKA, "t-kafka", serviceName="t-svc", kafkaUserConfig=settings)
    unset = _res(diffs.FLOW, "s-to-t-flow", serviceName="mm", sourceCluster="s", targetCluster="t", enable=True)
    one = {**unset, "inputs": {**unset["inputs"], "replicationFactor": 1}}
    outputs = {"clusterServiceNames": {"t": "t-svc"}}
    found = diffs.compare(_doc(kafka, unset, outputs=outputs), _doc(kafka, one, outputs=outputs)).findings
    assert [(f.rule, f.path, (expected or "") in f.message) for f in found] == (
        [("replication-factor-lower", "replicationFactor", True)] if expected else [])
    # An external target's default is unknown: the advisory rule stays silent rather than guess.
    assert not diffs.compare(_doc(unset, outputs=outputs), _doc(one, outputs=outputs)).findings


@pytest.mark.parametrize(("old", "new", "stopping"), [
    (([".*"], []), (["topic-a"], []), None),
    ((["a", "b"], []), (["a"], []), {"b"}),
    ((["a", "b"], []), (["a|b"], []), set()),
    ((["a\\.b"], []), (["a"], []), {"a.b"}),
    (([".*"], ["x"]), ([".*"], ["x", "y", "z"]), {"y", "z"}),
    (([".*"], []), ([".*"], ["tmp-.*"]), None),
    (([".*"], []), (["o.*"], ["x"]), None),
])
def test_which_topics_a_narrower_filter_may_stop(old: tuple[list[str], list[str]], new: tuple[list[str], list[str]],
                                                 stopping: set[str] | None) -> None:
    assert diff_rules._may_stop(old, new) == stopping


def test_a_deleted_flow_whose_topics_the_map_does_not_know_still_stops() -> None:
    flow_ = _res(diffs.FLOW, "e-to-t-flow", serviceName="mm", sourceCluster="e", targetCluster="t", enable=True)
    d = diffs.compare(_doc(flow_, outputs={"topicOrigins": {"t": {}}}), _doc(outputs={"topicOrigins": {"t": {}}}))
    (finding,) = d.findings
    assert (finding.cls, finding.path) == ("replication-stops", "(resource)")
    assert "the topic map knows none of the topics it copies" in finding.message


RETENTION = st.one_of(st.none(), st.just(-1), st.integers(min_value=1, max_value=10**12))


@given(old=st.fixed_dictionaries({}, optional={"logRetentionMs": RETENTION, "logRetentionHours": RETENTION,
                                                "logRetentionBytes": RETENTION}),
       new=st.fixed_dictionaries({}, optional={"logRetentionMs": RETENTION, "logRetentionHours": RETENTION,
                                                "logRetentionBytes": RETENTION}),
       own=st.fixed_dictionaries({}, optional={"retentionMs": RETENTION, "retentionBytes": RETENTION}))
@settings(max_examples=80, deadline=None)
def test_retention_findings_follow_the_effective_value(old: Config, new: Config, own: Config) -> None:
    def kafka(settings: Config) -> dict[str, Any]:
        clean = {k: v for k, v in settings.items() if v is not None}
        return _res(diffs.KAFKA, "k", serviceName="k", kafkaUserConfig={"kafka": clean})

    topic_ = _res(diffs.TOPIC, "t", serviceName="k", topicName="t",
                  config={k: str(v) for k, v in own.items() if v is not None})
    forth = diffs.compare(_doc(kafka(old), topic_), _doc(kafka(new), topic_)).findings
    back = diffs.compare(_doc(kafka(new), topic_), _doc(kafka(old), topic_)).findings
    assert {f.rule for f in (*forth, *back)} <= {"cluster-retention-cut"}, "a topic with fixed values is silent"
    for measure in (diff_rules.cluster_retention_ms, diff_rules.cluster_retention_bytes):
        before = measure(kafka(old)["inputs"]["kafkaUserConfig"]["kafka"])
        after = measure(kafka(new)["inputs"]["kafkaUserConfig"]["kafka"])
        bytes_ = measure is diff_rules.cluster_retention_bytes

        def on(findings: tuple[diff_rules.Finding, ...], bytes_: bool = bytes_) -> bool:
            return any(f.path.endswith("logRetentionBytes") == bytes_ for f in findings)

        # A finding exactly when the effective value shrinks; a cut one way is never one the other way.
        assert on(forth) == (after < before) and on(back) == (before < after)
