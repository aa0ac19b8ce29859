"""A catalog of malformed stack configs, each a small mutation of Pulumi.dev.yaml.

Every entry runs through the real program under the offline engine, from a stack file on disk, so
YAML's own traps (`3.10`, `on`, `10:00:00`) are exercised as users meet them. Each
must stop before any resource is declared, with exactly the expected one-line message naming the
key path and the value. Repeated keys, which stop the loader before the program runs, are in
test_stackfile.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import config
from replication.engine import ProgramError, run_program
from tests.conftest import ROOT

NS = "aiven-kafka-replication"
DEV_TEXT = (ROOT / "Pulumi.dev.yaml").read_text()
TOPIC_SPEC = {"partitions": 3, "replication": 2}


@dataclass(frozen=True)
class Case:
    """One malformed config: how to make it from the dev stack file, and the error lines it must give."""

    id: str
    edit: Callable[[str], str]
    errors: tuple[str, ...]


def text(old: str, new: str, *, within: str | None = None) -> Callable[[str], str]:
    """Edit the stack file's text, the only way to reach YAML-level traps: replace `old`, which
    must occur once, or once in the block that starts at the line `within` (e.g. `    target:`)."""

    def edit(source: str) -> str:
        start = 0
        if within is not None:
            assert source.count(f"\n{within}\n") == 1, f"{within!r} must occur once in Pulumi.dev.yaml"
            start = source.index(f"\n{within}\n")
        head, tail = source[:start], source[start:]
        assert tail.count(old) == 1 or (within is not None and old in tail), f"{old!r} is ambiguous or missing"
        return head + tail.replace(old, new, 1)

    return edit


def change(mutate: Callable[[dict[str, Any]], object]) -> Callable[[str], str]:
    """Edit the parsed namespace (keys without the prefix), then write the stack file back as YAML."""

    def edit(source: str) -> str:
        doc = yaml.safe_load(source)
        raw = {k.removeprefix(f"{NS}:"): v for k, v in doc["config"].items()}
        mutate(raw)
        doc["config"] = {f"{NS}:{k}": v for k, v in raw.items()}
        return yaml.safe_dump(doc, sort_keys=False)

    return edit


def _walk(raw: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
    node: Any = raw
    for part in parents:
        node = node[part]
    return node, last


def put(path: str, value: Any) -> Callable[[str], str]:
    """Set one value, at a `/`-separated path such as `flows/0/target`."""

    def mutate(raw: dict[str, Any]) -> None:
        node, last = _walk(raw, path)
        node[last] = copy.deepcopy(value)

    return change(mutate)


def drop(path: str) -> Callable[[str], str]:
    """Delete one key."""

    def mutate(raw: dict[str, Any]) -> None:
        node, last = _walk(raw, path)
        del node[last]

    return change(mutate)


def add_topic(name: Any) -> Callable[[str], str]:
    """Declare one more topic on the source cluster."""
    return change(lambda raw: raw["clusters"]["source"]["topics"].__setitem__(name, dict(TOPIC_SPEC)))


def ambiguous_mirrormaker(raw: dict[str, Any]) -> None:
    raw["mirrormakers"]["mm2"] = copy.deepcopy(raw["mirrormakers"]["mm"])
    del raw["flows"][0]["mirrormaker"]


def no_mirrormaker(raw: dict[str, Any]) -> None:
    del raw["mirrormakers"]
    del raw["flows"][0]["mirrormaker"]


def rename_source(alias: str) -> Callable[[dict[str, Any]], None]:
    """Give the source cluster another alias (its key), without a `serviceName`."""

    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"] = {alias if k == "source" else k: v for k, v in raw["clusters"].items()}
        raw["flows"][0]["source"] = alias

    return mutate


def rename_mirrormaker(key: str) -> Callable[[dict[str, Any]], None]:
    """Give the MirrorMaker another key, without a `serviceName`."""

    def mutate(raw: dict[str, Any]) -> None:
        raw["mirrormakers"] = {key: raw["mirrormakers"]["mm"]}
        raw["flows"][0]["mirrormaker"] = key

    return mutate


SERVICE_NAME_RULE = ("start with a lowercase letter and contain only lowercase letters, digits and '-' "
                     "(at most 63 characters)")


def e(path: str, message: str) -> tuple[str]:
    return (f"{NS}:{path}: {message}",)


LONG_TOPIC = "t" * 250
# MirrorMaker compiles topic patterns with Java's regex engine; the config refuses what Java would
# refuse and what Python's `re` cannot mean the same way.
REGEX_CASES: list[Case] = [
    Case("regex-unbalanced", put("flows/0/topics", ["orders.("]),
         e("flows[0].topics[0]", "invalid regular expression 'orders.(': missing ), unterminated subpattern at "
                                 "position 7")),
    Case("regex-glob", put("flows/0/topicsExclude", ["*.internal"]),
         e("flows[0].topicsExclude[0]", "'*.internal' is a glob, not a regular expression: any characters is '.*', "
                                        "as in '.*.internal'")),
    Case("regex-python-named-group", put("flows/0/topics", [r"(?P<region>eu|us)\..*"]),
         e("flows[0].topics[0]", r"Java regex '(?P<region>eu|us)\\..*': '(?P' is Python-only syntax; MirrorMaker's "
                                 "patterns are Java's, where a named group is (?<name>...) and there are no (?#...) "
                                 "comments or (?(...)...) conditionals")),
    Case("regex-java-unknown-property", put("flows/0/topics", [r"\p{IsGreek}+"]),
         e("flows[0].topics[0]", r"Java regex '\\p{IsGreek}+': \p{IsGreek} is not a property this tool can "
                                 "evaluate faithfully; rewrite it as an explicit class such as [a-z] or [A-Za-z0-9]")),
    Case("regex-java-caseless-intersection", put("flows/0/topicsExclude", ["(?i:[a-z&&[^e]])"]),
         e("flows[0].topicsExclude[0]", "Java regex '(?i:[a-z&&[^e]])': a nested class, '&&' or Unicode property "
                                        "inside (?i:...) is valid in Java but this tool cannot evaluate it "
                                        "faithfully; write it outside (?i:...) with both cases spelled out, for "
                                        "example [a-zA-Z]")),
]

CATALOG: list[Case] = [
    # --- wrong types and missing keys --------------------------------------------------------
    Case("project-missing", drop("project"), e("project", "required key is missing")),
    Case("project-number", put("project", 42), e("project", "Input should be a valid string, got 42")),
    Case("clusters-list", put("clusters", ["source", "target"]),
         e("clusters", "Input should be a valid dictionary, got ['source', 'target']")),
    Case("clusters-empty", put("clusters", {}),
         e("clusters", "Dictionary should have at least 1 item after validation, not 0, got {}")),
    Case("cluster-cloud-missing", drop("clusters/source/cloud"), e("clusters.source.cloud", "required key is missing")),
    Case("mirrormaker-plan-missing", drop("mirrormakers/mm/plan"),
         e("mirrormakers.mm.plan", "required key is missing")),
    Case("flow-target-missing", drop("flows/0/target"), e("flows[0].target", "required key is missing")),
    Case("flows-mapping", put("flows", {"source": "target"}),
         e("flows", "Input should be a valid list, got {'source': 'target'}")),
    Case("partitions-string", put("clusters/source/topics/topic-a/partitions", "3"),
         e("clusters.source.topics.topic-a.partitions", "Input should be a valid integer, got '3'")),
    Case("ip-filter-string", put("mirrormakers/mm/ipFilter", "10.0.0.0/8"),
         e("mirrormakers.mm.ipFilter", "Input should be a valid list, got '10.0.0.0/8'")),
    Case("enabled-string", put("flows/0/enabled", "false"),
         e("flows[0].enabled", "Input should be a valid boolean, got 'false'")),
    Case("topics-exclude-string", put("flows/0/topicsExclude", "__.*"),
         e("flows[0].topicsExclude", "Input should be a valid list, got '__.*'")),
    # --- unknown keys are typos, at every level ---------------------------------------------
    Case("typo-top-level", text(f"{NS}:flows:", f"{NS}:flow:"),
         e("flow", "unknown key (a typo?) with value [{'source': 'source', 'target': 'target', 'mirrormaker': 'mm', "
                   "'topics': ['.*...; did you mean 'flows'?")),
    Case("typo-cluster", put("clusters/source/plann", "business-4"),
         e("clusters.source.plann", "unknown key (a typo?) with value 'business-4'; did you mean 'plan'?")),
    Case("typo-maintenance-window", put("clusters/target/maintenanceWindow/day", "monday"),
         e("clusters.target.maintenanceWindow.day", "unknown key (a typo?) with value 'monday'")),
    Case("typo-topic", put("clusters/source/topics/topic-a/partition", 3),
         e("clusters.source.topics.topic-a.partition",
           "unknown key (a typo?) with value 3; did you mean 'partitions'?")),
    Case("typo-mirrormaker", put("mirrormakers/mm/ipfilter", ["10.0.0.0/8"]),
         e("mirrormakers.mm.ipfilter", "unknown key (a typo?) with value ['10.0.0.0/8']; did you mean 'ipFilter'?")),
    Case("typo-flow", put("flows/0/topicExclude", ["__.*"]),
         e("flows[0].topicExclude", "unknown key (a typo?) with value ['__.*']; did you mean 'topicsExclude'?")),
    Case("typo-integration-tuning", put("mirrormakers/mm/integrations", {"source": {"consumerFetchMinByte": 1}}),
         e("mirrormakers.mm.integrations.source.consumerFetchMinByte",
           "unknown key (a typo?) with value 1; did you mean 'consumerFetchMinBytes'?")),
    Case("typo-external", put("clusters/onprem", {"external": {
        "bootstrapServer": ["kafka-1.example.com:9092"], "bootstrapServers": ["kafka-1.example.com:9092"],
        "securityProtocol": "PLAINTEXT"}}),
         e("clusters.onprem.external.bootstrapServer", "unknown key (a typo?) with value ['kafka-1.example.com:9092']; "
                                                   "did you mean 'bootstrapServers'?")),
    Case("typo-adopt", put("adopt", {"integration": {}}), e("adopt.integration", "unknown key (a typo?) with value {}; did you mean 'integrations'?")),
    # --- out-of-range numbers ----------------------------------------------------------------
    Case("partitions-zero", put("clusters/source/topics/topic-a/partitions", 0),
         e("clusters.source.topics.topic-a.partitions", "Input should be greater than or equal to 1, got 0")),
    Case("replication-eleven", put("clusters/target/topics/topic-b/replication", 11),
         e("clusters.target.topics.topic-b.replication", "Input should be less than or equal to 10, got 11")),
    Case("sync-interval-zero", put("flows/0/syncGroupOffsetsIntervalSeconds", 0),
         e("flows[0].syncGroupOffsetsIntervalSeconds", "Input should be greater than or equal to 1, got 0")),
    Case("replication-factor-zero", put("flows/0/replicationFactor", 0),
         e("flows[0].replicationFactor", "Input should be greater than or equal to 1, got 0")),
    Case("offset-lag-negative", put("flows/0/offsetLagMax", -1),
         e("flows[0].offsetLagMax", "Input should be greater than or equal to 0, got -1")),
    Case("topic-min-insync-zero", put("clusters/source/topics/topic-a/config", {"minInsyncReplicas": 0}),
         e("clusters.source.topics.topic-a.config.minInsyncReplicas",
           "must be at least 1, got 0")),
    Case("topic-config-ratio-above-one", put("clusters/source/topics/topic-a/config", {"minCleanableDirtyRatio": 1.5}),
         e("clusters.source.topics.topic-a.config.minCleanableDirtyRatio",
           "Input should be less than or equal to 1, got 1.5")),
    # The provider types some numbers as strings; they are still numbers.
    Case("topic-config-number-as-words", put("clusters/source/topics/topic-a/config", {"segmentMs": "one day"}),
         e("clusters.source.topics.topic-a.config.segmentMs", "must be a number, got 'one day'")),
    # --- illegal topic names (Kafka's rule) ---------------------------------------------------
    Case("topic-charset", add_topic("orders/eu"),
         e("clusters.source.topics",
           "topic name 'orders/eu' may only contain ASCII letters, digits, '.', '_' and '-' (at most 249 characters)")),
    Case("topic-space", add_topic("my topic"),
         e("clusters.source.topics", "topic name 'my topic' may only contain ASCII letters, digits, '.', '_' and '-' (at most 249 characters)")),
    Case("topic-too-long", add_topic(LONG_TOPIC),
         e("clusters.source.topics", "topic name is 250 characters long; Kafka allows at most 249, got key "
                                     f"{LONG_TOPIC[:76]!r}"[:-1] + "...")),
    Case("topic-dot", add_topic("."), e("clusters.source.topics", "topic name '.' is reserved by Kafka")),
    Case("topic-dot-dot", add_topic(".."), e("clusters.source.topics", "topic name '..' is reserved by Kafka")),
    Case("known-topic-charset", change(lambda raw: raw["clusters"].__setitem__(
        "legacy", {"serviceName": "legacy-kafka", "existing": True, "knownTopics": ["orders#1"]})),
         e("clusters.legacy.knownTopics[0]",
           "topic name 'orders#1' may only contain ASCII letters, digits, '.', '_' and '-' (at most 249 characters)")),
    # --- flows naming unknown clusters or MirrorMakers, self-loops ----------------------------
    Case("flow-unknown-source", put("flows/0/source", "sorce"),
         e("flows[0].source", "unknown cluster 'sorce' (declared: source, target)")),
    Case("flow-unknown-mirrormaker", put("flows/0/mirrormaker", "mm2"),
         e("flows[0].mirrormaker", "unknown MirrorMaker 'mm2' (declared: mm)")),
    Case("flow-self-loop", put("flows/0/target", "source"),
         e("flows[0].target", "'source' is also the source: a flow cannot replicate a cluster into itself")),
    Case("flow-ambiguous-mirrormaker", change(ambiguous_mirrormaker),
         e("flows[0].mirrormaker", "required when several MirrorMakers are declared (mm, mm2)")),
    Case("flows-without-mirrormaker", change(no_mirrormaker),
         e("mirrormakers", "flows are declared but no MirrorMaker is: declare one to run them")),
    Case("flow-alias-with-dot", put("flows/0/source", "eu.west"),
         e("flows[0].source", "cluster alias 'eu.west' (7 characters) must be 1 to 128 ASCII letters, digits, "
                              "'_' and '-' (no '.': MirrorMaker uses it as the topic prefix separator)")),
    # --- external clusters --------------------------------------------------------------------
    Case("external-bootstrap-without-port", put("clusters/onprem", {"external": {
        "bootstrapServers": ["kafka-1.example.com"], "securityProtocol": "PLAINTEXT"}}),
         e("clusters.onprem.external.bootstrapServers[0]", "bootstrap server 'kafka-1.example.com' must be host:port, "
                                                          "for example 'kafka-1.example.com:9092'")),
    Case("external-bootstrap-with-userinfo", put("clusters/onprem", {"external": {
        "bootstrapServers": ["replicator:Hunter2@kafka-1.example.com:9092"], "securityProtocol": "PLAINTEXT"}}),
         e("clusters.onprem.external.bootstrapServers[0]", "bootstrap server contains credentials before '@': value not "
                                                          "shown; put the password in credentials; write only host:port "
                                                          "here")),
    Case("external-sasl-without-credentials", put("clusters/onprem", {"external": {
        "bootstrapServers": ["kafka-1.example.com:9093"], "securityProtocol": "SASL_SSL"}}),
         (f"{NS}:clusters.onprem.external.saslMechanism: required with securityProtocol SASL_SSL",
          f"{NS}:clusters.onprem.external.saslUsername: required with securityProtocol SASL_SSL",
          f"{NS}:clusters.onprem.external.saslPassword: required with securityProtocol SASL_SSL")),
    # --- duplicates ---------------------------------------------------------------------------
    Case("duplicate-flow", change(lambda raw: raw["flows"].append(copy.deepcopy(raw["flows"][0]))),
         e("flows[1]", "duplicate flow source->target (also flows[0])")),
    Case("duplicate-external-cluster", change(lambda raw: raw["clusters"].update(
        ext1={"external": {"bootstrapServers": ["kafka.example.com:9092"], "securityProtocol": "SSL"}},
        ext2={"external": {"bootstrapServers": ["b.example.com:9092", "KAFKA.Example.com.:9092"],
                           "securityProtocol": "SSL"}})),
         e("clusters.ext2.external.bootstrapServers[1]", "'KAFKA.Example.com.:9092' is also a bootstrap server of "
                                                         "clusters.ext1.external (hosts compared without case or a trailing "
                                                         "dot), so both aliases name one Kafka cluster: declare it once")),
    Case("duplicate-service-name", put("clusters/target/serviceName", "source"),
         e("clusters.target.serviceName", "'source' is already the service name of clusters.source")),
    Case("cluster-and-mirrormaker-share-a-name", put("mirrormakers/mm/serviceName", "target"),
         e("mirrormakers.mm.serviceName", "'target' is already the service name of clusters.target")),
    # --- bad CIDRs ----------------------------------------------------------------------------
    Case("cidr-host-bits", put("mirrormakers/mm/ipFilter", ["10.0.0.1/8"]),
         e("mirrormakers.mm.ipFilter[0]",
           "'10.0.0.1/8' is not a CIDR network (10.0.0.1/8 has host bits set)")),
    Case("cidr-prefix-too-long", put("clusters/source/ipFilter", ["10.0.0.0/33"]),
         e("clusters.source.ipFilter[0]", "'10.0.0.0/33' is not a CIDR network ('10.0.0.0/33' does not appear to be "
                                          "an IPv4 or IPv6 network)")),
    Case("cidr-hostname", put("clusters/source/ipFilter", ["office.example.com"]),
         e("clusters.source.ipFilter[0]", "'office.example.com' is not a CIDR network ('office.example.com' does not "
                                          "appear to be an IPv4 or IPv6 network)")),
    # --- maintenance windows ------------------------------------------------------------------
    Case("dow-unknown", text("dow: monday", "dow: funday", within="    source:"),
         e("clusters.source.maintenanceWindow.dow", "Input should be 'monday', 'tuesday', 'wednesday', 'thursday', "
                                                    "'friday', 'saturday' or 'sunday', got 'funday'")),
    Case("dow-capitalised", put("clusters/target/maintenanceWindow/dow", "Monday"),
         e("clusters.target.maintenanceWindow.dow", "Input should be 'monday', 'tuesday', 'wednesday', 'thursday', "
                                                    "'friday', 'saturday' or 'sunday', got 'Monday'")),
    Case("time-out-of-range", put("clusters/target/maintenanceWindow/time", "25:00:00"),
         e("clusters.target.maintenanceWindow.time",
           "time '25:00:00' must be HH:MM:SS in 24-hour UTC, for example '10:00:00'")),
    Case("time-without-seconds", put("clusters/target/maintenanceWindow/time", "10:00"),
         e("clusters.target.maintenanceWindow.time",
           "time '10:00' must be HH:MM:SS in 24-hour UTC, for example '10:00:00'")),
    # --- YAML traps ---------------------------------------------------------------------------
    Case("yaml-kafka-version-3.10", text('kafkaVersion: "3.2"', "kafkaVersion: 3.10", within="    source:"),
         e("clusters.source.kafkaVersion", 'must be a quoted string: YAML read it as the number 3.1; write '
                                           'kafkaVersion: "3.1" (and "3.10", not 3.10), got 3.1')),
    Case("yaml-unquoted-time", text('time: "10:00:00"', "time: 10:00:00", within="    target:"),
         e("clusters.target.maintenanceWindow.time", 'must be a quoted "HH:MM:SS" string: YAML 1.1 reads an unquoted '
                                                     '10:00:00 as the base-60 number 36000, got 36000')),
    Case("yaml-unquoted-short-time", text('time: "10:00:00"', "time: 10:00", within="    source:"),
         e("clusters.source.maintenanceWindow.time", 'must be a quoted "HH:MM:SS" string: YAML 1.1 reads an unquoted '
                                                     '10:00:00 as the base-60 number 36000, got 600')),
    # Pulumi hands a boolean mapping key to the program as "true" or "false", as the engine does.
    Case("yaml-topic-named-on", text("        topic-a: {", "        on: {"),
         e("clusters.source.topics", "topic name 'true' is what YAML makes of an unquoted yes/on/true key "
                                     "(a boolean); quote the name you meant")),
    Case("yaml-cluster-named-no", text("    target:\n      cloud", "    no:\n      cloud"),  # Norway's code
         e("clusters", "cluster alias 'false' is what YAML makes of an unquoted no/off/false key (a boolean); "
                       "quote the name you meant")),
    Case("yaml-flow-source-no", text("    - source: source", "    - source: no"),
         e("flows[0].source", "Input should be a valid string, got the boolean False: "
                              "YAML reads yes/no/on/off as booleans, quote it")),
    Case("yaml-flow-topics-yes", text('topics: [".*"]', "topics: [yes]"),
         e("flows[0].topics[0]", "Input should be a valid string, got the boolean True: "
                                 "YAML reads yes/no/on/off as booleans, quote it")),
    Case("yaml-dow-on", put("clusters/source/maintenanceWindow/dow", True),
         e("clusters.source.maintenanceWindow.dow", "Input should be 'monday', 'tuesday', 'wednesday', 'thursday', "
                                                    "'friday', 'saturday' or 'sunday', got the boolean True: "
                                                    "YAML reads yes/no/on/off as booleans, quote it")),
    # --- provider pass-through blocks, checked against the provider contract ------------------
    Case("kafka-wrong-type", put("clusters/target/kafka/logRetentionBytes", "lots"),
         e("clusters.target.kafka.logRetentionBytes", "Input should be a valid integer, got 'lots'")),
    Case("kafka-unknown-property", put("clusters/source/kafka/logRetentionByte", 1000),
         e("clusters.source.kafka.logRetentionByte", "unknown key (a typo?) with value 1000; did you mean 'logRetentionBytes'?")),
    Case("kafka-block-not-a-mapping", put("clusters/source/kafka", "defaults"),
         e("clusters.source.kafka", "Input should be a valid dictionary, got 'defaults'")),
    Case("kafka-enum", put("clusters/source/kafka/logCleanupPolicy", "forever"),
         e("clusters.source.kafka.logCleanupPolicy", "Input should be 'compact', 'compact,delete' or 'delete', got 'forever'")),
    Case("topic-config-enum", put("clusters/source/topics/topic-a/config", {"cleanupPolicy": "forever"}),
         e("clusters.source.topics.topic-a.config.cleanupPolicy",
           "Input should be 'compact', 'compact,delete' or 'delete', got 'forever'")),
    Case("topic-config-unknown-property", put("clusters/source/topics/topic-a/config", {"retention.ms": 1000}),
         e("clusters.source.topics.topic-a.config.retention.ms", "unknown key (a typo?) with value 1000; did you mean 'retentionMs'?")),
    Case("mirrormaker-wrong-type", put("mirrormakers/mm/kafkaMirrormaker/refreshTopicsEnabled", "true"),
         e("mirrormakers.mm.kafkaMirrormaker.refreshTopicsEnabled", "Input should be a valid boolean, got 'true'")),
    Case("mirrormaker-float-for-integer", put("mirrormakers/mm/kafkaMirrormaker/tasksMaxPerCpu", 1.5),
         e("mirrormakers.mm.kafkaMirrormaker.tasksMaxPerCpu", "Input should be a valid integer, got 1.5")),
    Case("integration-tuning-wrong-type", put("mirrormakers/mm/integrations", {"source": {"consumerFetchMinBytes": "1MB"}}),
         e("mirrormakers.mm.integrations.source.consumerFetchMinBytes", "Input should be a valid integer, got '1MB'")),
    # --- names Aiven or MirrorMaker would refuse ------------------------------------------------
    Case("service-name-uppercase", put("clusters/source/serviceName", "Kafka_Source"),
         e("clusters.source.serviceName", "service name 'Kafka_Source' (12 characters) must start with a lowercase letter and contain "
                                          "only lowercase letters, digits and '-' (at most 63 characters)")),
    # A service name that defaults to the alias or key meets the same rule (Aiven refuses it at `up`).
    Case("service-name-defaults-to-a-bad-alias", change(rename_source("Source_EU")),
         e("clusters.Source_EU.serviceName", "not set, so the service name is the alias 'Source_EU' (9 characters), "
                                             f"which Aiven refuses: a service name must {SERVICE_NAME_RULE}; set serviceName")),
    Case("service-name-defaults-to-a-long-alias", change(rename_source("s" * 64)),
         e(f"clusters.{'s' * 64}.serviceName", f"not set, so the service name is the alias '{'s' * 64}' (64 characters), "
                                               f"which Aiven refuses: a service name must {SERVICE_NAME_RULE}; set serviceName")),
    Case("service-name-defaults-to-a-bad-mirrormaker-key", change(rename_mirrormaker("MM_Europe.1")),
         e("mirrormakers.MM_Europe.1.serviceName", "not set, so the service name is the key 'MM_Europe.1' (11 characters), "
                                                   f"which Aiven refuses: a service name must {SERVICE_NAME_RULE}; set serviceName")),
    Case("kafka-version-word", put("clusters/source/kafkaVersion", "latest"),
         e("clusters.source.kafkaVersion", "Kafka version 'latest' must look like \"3.8\"")),
    Case("replication-policy-unknown", put("flows/0/replicationPolicy", "mirror"),
         e("flows[0].replicationPolicy", "Input should be 'default' or 'identity', got 'mirror'")),
]


def _run_bad(tmp_path: Path, case: Case) -> list[str]:
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(case.edit(DEV_TEXT))
    with pytest.raises(ProgramError) as info:
        run_program("bad", ROOT, stack_file=bad)
    partial = info.value.partial
    assert partial is not None and partial.resources == [], "a config error must stop before any resource"
    lines = str(info.value).splitlines()
    # One line per issue, each starting with the stack file's name.
    assert all(line.startswith("Pulumi.bad.yaml: ") for line in lines), lines
    return [line.removeprefix("Pulumi.bad.yaml: ") for line in lines]


@pytest.mark.parametrize("case", CATALOG + REGEX_CASES, ids=lambda c: c.id)
def test_bad_config_is_refused_before_any_resource(tmp_path: Path, case: Case) -> None:
    assert tuple(_run_bad(tmp_path, case)) == case.errors


def test_catalog_is_large_and_its_ids_unique() -> None:
    ids = [c.id for c in CATALOG + REGEX_CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


def test_every_edit_changes_the_dev_stack() -> None:
    # An edit that silently did nothing would test the dev stack, which is valid.
    for case in CATALOG + REGEX_CASES:
        assert case.edit(DEV_TEXT) != DEV_TEXT, case.id


def test_the_unedited_dev_stack_passes_through_the_same_path(tmp_path: Path) -> None:
    # The catalog's harness round-trips the stack file; without edits that must be a valid stack.
    good = tmp_path / "Pulumi.bad.yaml"
    good.write_text(change(lambda raw: None)(DEV_TEXT))
    assert run_program("bad", ROOT, stack_file=good).resources


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (True, "key True is a boolean, not a name: YAML reads an unquoted yes/on/true as one; quote the key"),
        (False, "key False is a boolean, not a name: YAML reads an unquoted no/off/false as one; quote the key"),
        (2024, 'key 2024 is a number, not a name: YAML reads unquoted digits as one; quote it: "2024"'),
    ],
)
def test_non_string_keys_are_named_by_their_mapping(key: object, expected: str) -> None:
    # Config parsed straight from YAML (not through Pulumi, which turns keys into strings) keeps
    # booleans and numbers as keys; pydantic would report them as `topics[1].[key]`.
    raw = {k.removeprefix(f"{NS}:"): v for k, v in yaml.safe_load(DEV_TEXT)["config"].items()}
    raw["clusters"]["source"]["topics"][key] = dict(TOPIC_SPEC)
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    assert str(info.value) == f"{NS}:clusters.source.topics: {expected}"
