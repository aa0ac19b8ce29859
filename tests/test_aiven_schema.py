"""Aiven's user-config bounds: the shipped slice is Aiven's schema merged with the provider contract,
and every constrained option the stack exposes refuses a value just outside its bound (naming the
key path) and accepts one on it. The cases are generated from the slice itself."""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints
import yaml
from hypothesis import given
from hypothesis import strategies as st

from replication import aiven_schema, config
from tests.conftest import ROOT

CONTRACT = ROOT / "tests" / "aiven-6.62.0.contract.json"


def dev_raw() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in doc.items() if k.startswith(f"{config.NAMESPACE}:")}


# --- the slice ------------------------------------------------------------------------------------


def test_shipped_slice_is_generated_from_the_shared_schemas() -> None:
    if not aiven_schema.DEFAULT_SOURCE.is_dir():
        pytest.skip(f"{aiven_schema.DEFAULT_SOURCE} is not checked out beside the repository")
    fresh = aiven_schema.extract_slice(aiven_schema.DEFAULT_SOURCE, json.loads(CONTRACT.read_text()))
    assert json.loads(aiven_schema.SLICE_PATH.read_text()) == fresh, (
        "replication/aiven_bounds.json is stale: python -m replication.aiven_schema"
    )


@pytest.mark.parametrize(("prefix", "model"), [("clusters.*.external", config.ExternalKafkaSpec),
                                             ("monitoring.prometheus", config.PrometheusSpec),
                                             ("monitoring.datadog", config.DatadogSpec)])
def test_every_endpoint_key_is_mapped_or_declared_outside_the_user_config(prefix: str, model: Any) -> None:
    _, options, outside = aiven_schema.ENDPOINTS[prefix]
    assert {info.alias or name for name, info in model.model_fields.items()} == set(options) | outside


def test_slice_holds_the_bounds_the_issue_names() -> None:
    mm = aiven_schema.option("kafka_mirrormaker", ("kafkaMirrormaker", "refreshTopicsIntervalSeconds"))
    assert (mm["minimum"], mm["maximum"]) == (1, 9223372036854775807)  # exact, not a float
    version = aiven_schema.option("kafka", ("kafkaVersion",))
    assert "2.8" not in version["enum"] and {"3.2", "3.9", "4.2"} <= set(version["enum"])
    assert version["deprecated_values"] == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "4.0"]
    # The provider lists 4.3, Aiven's schema does not yet: the union is accepted.
    assert version["provider_enum"] == ["4.3"] and "4.3" in version["enum"]
    ratio = aiven_schema.option("kafka", ("kafka", "logCleanerMinCleanableRatio"))
    assert (ratio["minimum"], ratio["maximum"]) == (0.2, 0.9)


def test_provider_enums_of_exposed_options_do_not_refuse_aiven_values() -> None:
    # The pass-through models refuse values outside the provider's closed enums before this check
    # runs: the union is only what is accepted if the provider's list holds all of Aiven's.
    from replication import provider_schema

    for root, (block, path) in [("KafkaUserConfigKafka", ("kafka", ("kafka",))),
                                ("MirrorMakerSettings", ("kafka_mirrormaker", ("kafkaMirrormaker",))),
                                ("IntegrationTuning", ("kafka_mirrormaker_integration", ("kafkaMirrormaker",)))]:
        contract = provider_schema.subset()["types"][provider_schema.PASS_THROUGH_ROOTS[root]]["properties"]
        for name, node in aiven_schema.option(block, path)["properties"].items():
            closed = contract[name].get("x-enumFromDescription") if not contract[name].get("x-enumOpen") else None
            if "enum" in node and closed is not None:
                assert {str(v) for v in node["enum"]} <= set(closed), (root, name)


# --- cases generated from the slice ----------------------------------------------------------------

EXTERNAL = {
    "bootstrapServers": ["kafka-1.example.com:9092"],
    "securityProtocol": "SASL_SSL",
    "saslMechanism": "SCRAM-SHA-512",
    "saslUsername": "replicator",
    "saslPassword": "onprem-password",
    "sslCaCert": "-----BEGIN CERTIFICATE-----",
    "sslClientCert": "-----BEGIN CERTIFICATE-----",
    "sslClientKey": "onprem-key",
}
MONITORING = {"prometheus": {"basicAuthUsername": "prom4851", "basicAuthPassword": "prom-password"},
              "datadog": {"apiKey": "datadog-key", "site": "datadoghq.eu"}}
CREDENTIALS = {"onprem-password": "pw", "onprem-key": "-----BEGIN PRIVATE KEY-----",
               "prom-password": "fhyFNBjj3R", "datadog-key": "848f30907c15c55d601fe45487cce9b6"}

# Enum members the config itself refuses, stricter than Aiven: (exposed key, value) -> why.
STRICTER: dict[tuple[str, Any], str] = {
    ("clusters.*.external.securityProtocol", "SASL_PLAINTEXT"): "the config offers SASL only over TLS",
}
# Outside values that a stricter config rule refuses first, at the given path, before Aiven's bound
# is consulted: (exposed key, constraint) -> path of the error.
REFUSED_EARLIER: dict[tuple[str, str], str] = {
    ("clusters.*.external.bootstrapServers", "min_length"): "clusters.onprem.external.bootstrapServers[0]",
    ("clusters.*.external.saslUsername", "min_length"): "clusters.onprem.external.saslUsername",
    ("clusters.*.external.saslPassword", "min_length"): "credentials.onprem-password",
    ("clusters.*.external.saslUsernameCredential", "min_length"): "credentials.ref-saslUsernameCredential",
    ("monitoring.datadog.apiKey", "min_length"): "credentials.datadog-key",
    **{("monitoring.prometheus.basicAuthUsername", kind): "monitoring.prometheus.basicAuthUsername"
       for kind in ("min_length", "max_length", "pattern-0", "pattern-1", "pattern-2")},
}
# A non-member the config's own syntax check lets through, so that Aiven's enum is what refuses it.
OUTSIDE_ENUM = {"clusters.*.kafkaVersion": "2.8"}
# Every Aiven pattern on an exposed option: values both readings accept, and values one of them
# refuses (Go's `$` is end of text; Python's `\S` refuses a no-break space that Go's ASCII `\S`
# takes). A new pattern fails until its examples are written.
PATTERN_EXAMPLES: dict[str, tuple[list[str], list[str]]] = {
    r"^[^\r\n]*$": (["", "console-consumer-.*,connect-.*", "a b\t"], ["a\nb", "a\n", "\r"]),
    r"^[^\r\n]*\S[^\r\n]*$": (["a", " aud ", "x\u00a0"], ["", "   ", "a\n", " \t ", "\u00a0"]),
    r"^[a-z0-9\-@_]{5,32}$": (["prom4851", "a-b@c_d"], ["Prom4851", "prom 4851"]),
    r"^[A-Za-z0-9]{1,256}$": (["848f30907c15c55d601fe45487cce9b6"], ["848f-3090!", "848f 3090\n"]),
}


def _concrete(exposed: str) -> str:
    at = exposed.replace("clusters.*.external", "clusters.onprem.external")
    return at.replace("clusters.*", "clusters.source").replace("integrations.*", "integrations.source").replace(
        "mirrormakers.*", "mirrormakers.mm"
    )


def raw_with(exposed: str, sub: tuple[str, ...], value: Any) -> dict[str, Any]:
    """The dev stack with `value` set at the exposed key (and sub-path inside its block)."""
    raw = copy.deepcopy(dev_raw())
    prefix, _, key = exposed.rpartition(".")
    if prefix in aiven_schema.ENDPOINTS:
        raw["clusters"]["onprem"] = {"external": dict(EXTERNAL)}
        raw["monitoring"] = copy.deepcopy(MONITORING)
        raw["credentials"] = dict(CREDENTIALS)
        if exposed.endswith("securityProtocol"):  # keep only the keys that protocol takes
            drop = {"PLAINTEXT": ("sasl", "ssl"), "SSL": ("sasl",)}.get(value, ())
            raw["clusters"]["onprem"]["external"] = {k: v for k, v in EXTERNAL.items() if not k.startswith(drop)}
        if exposed in aiven_schema.SECRET_REFERENCES:
            spec = raw["clusters"]["onprem"]["external"] if ".external" in prefix else raw["monitoring"][prefix.split(".")[1]]
            options = aiven_schema.ENDPOINTS[prefix][1]
            for other, (name, _) in options.items():
                if name == options[key][0] and other != key:  # its plain-text alternative
                    spec.pop(other, None)
            spec.setdefault(key, f"ref-{key}")
            raw["credentials"][spec[key]] = value
            return raw
    keys = [*_concrete(exposed).split("."), *sub]
    node = raw
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return raw


def _string_of(exposed: str, length: int) -> Any:
    # A value of exactly `length` characters, in the form the config key takes.
    if exposed.endswith("bootstrapServers"):
        return ["a:" + "1" * (length - 2)] if length < 6 else ["k" * (length - 5) + ":9092"]
    if exposed.endswith("ipFilter"):  # the item's length: padded IPv6 CIDRs
        return {43: ["0000:0000:0000:0000:0000:0000:0000:0000/128"],
                44: ["0000:0000:0000:0000:0000:ffff:10.20.30.4/128"]}[length]
    return "a" * length


def _other_member(exposed: str, enum: list[Any]) -> Any:
    if exposed in OUTSIDE_ENUM:
        return OUTSIDE_ENUM[exposed]
    if all(isinstance(v, int) for v in enum):
        return max(enum) + 1
    return "not-" + "-".join(str(v) for v in enum)[:40]


def _item_path(exposed: str) -> str:
    return "[0]" if exposed.endswith("ipFilter") else ""


def cases() -> Iterator[Any]:
    """(exposed key, sub-path, constraint, value, accepted?, words of the error)."""
    for exposed, (block, path) in aiven_schema.EXPOSED.items():
        root = aiven_schema.option(block, path)
        for sub, node in _leaves(root):
            name = ".".join(sub) or exposed.rsplit(".", 1)[1]
            if "items" in node and "max_length" in node["items"]:
                node = {**node, "max_length": node["items"]["max_length"]}
            for kind, on, off, words in _bounds(exposed, node):
                yield pytest.param(exposed, sub, kind, on, True, "", id=f"{_concrete(exposed)}:{name}:{kind}-on")
                yield pytest.param(exposed, sub, kind, off, False, words, id=f"{_concrete(exposed)}:{name}:{kind}-off")


def _leaves(node: dict[str, Any], sub: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    if "properties" in node and "items" not in node:
        for key, child in node["properties"].items():
            yield from _leaves(child, (*sub, key))
    else:
        yield sub, node


def _bounds(exposed: str, node: dict[str, Any]) -> Iterator[tuple[str, Any, Any, str]]:
    integer = "integer" in aiven_schema._kinds(node)
    if "minimum" in node:
        low = node["minimum"]
        below = low - 1 if integer else math.nextafter(low, -math.inf)
        yield "minimum", low, below, f"must be >= {low}, got {below!r}"
    if "maximum" in node:
        high = node["maximum"]
        above = high + 1 if integer else math.nextafter(high, math.inf)
        yield "maximum", high, above, f"must be <= {high}, got {above!r}"
    if "enum" in node:
        off = _other_member(exposed, node["enum"])
        for member in node["enum"]:
            # A closed provider enum refuses first, in pydantic's words: both name the value.
            if (exposed, member) not in STRICTER:
                yield f"enum={member}", member, off, f"got {off!r}"
    if "max_length" in node:
        n = node["max_length"]
        yield "max_length", _string_of(exposed, n), _string_of(exposed, n + 1), f"must be at most {n} characters long, got {n + 1} characters"
    if "min_length" in node:
        n = node["min_length"]
        yield "min_length", _string_of(exposed, n), _string_of(exposed, n - 1), f"must be at least {n} characters long"
    if "max_items" in node:
        n = node["max_items"]
        many = [f"10.{i // 256}.{i % 256}.0/24" for i in range(n + 1)]
        yield "max_items", many[:n], many, f"must have at most {n} items, got {n + 1}"
    if "pattern" in node:
        accepted, refused = PATTERN_EXAMPLES[node["pattern"]]
        for i in range(max(len(accepted), len(refused))):
            yield (f"pattern-{i}", accepted[i % len(accepted)], refused[i % len(refused)],
                   f"must match Aiven's pattern {node['pattern']!r}")


CASES = list(cases())


def test_cases_cover_every_constrained_option_the_stack_exposes() -> None:
    ids = {case.id for case in CASES}
    for words in ["mirrormakers.mm.kafkaMirrormaker:refreshTopicsIntervalSeconds:minimum-off",
                  "clusters.source.kafkaVersion:kafkaVersion:enum=3.2-on",
                  "mirrormakers.mm.integrations.source:consumerFetchMinBytes:maximum-off",
                  "clusters.source.kafka:logCleanerMinCleanableRatio:minimum-off",
                  "clusters.source.kafka:auditLog.groupBy:enum=user-on",
                  "clusters.onprem.external.sslClientKey:sslClientKey:max_length-off",
                  "clusters.source.ipFilter:ipFilter:max_items-off",
                  "mirrormakers.mm.kafkaMirrormaker:groups:pattern-0-off"]:
        assert words in ids
    assert len(CASES) > 200


@pytest.mark.parametrize(("exposed", "sub", "kind", "value", "accepted", "words"), CASES)
def test_bound(exposed: str, sub: tuple[str, ...], kind: str, value: Any, accepted: bool, words: str) -> None:
    raw = raw_with(exposed, sub, value)
    at = ".".join([_concrete(exposed), *sub])
    if accepted:
        config.parse(raw)
        return
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    issues = [str(issue) for issue in info.value.issues]
    earlier = REFUSED_EARLIER.get((exposed, kind))
    if earlier is not None:
        assert any(i.startswith(f"{config.NAMESPACE}:{earlier}: ") for i in issues), issues
        return
    if kind == "max_length" or kind == "min_length":
        at += _item_path(exposed)
    mine = [i for i in issues if i.startswith(f"{config.NAMESPACE}:{at}: ")]
    assert mine and words in mine[0], issues
    if exposed in aiven_schema.SECRET_REFERENCES:
        assert str(value) not in "\n".join(issues) and "value not shown: it is a secret" in mine[0]


# --- messages, warnings, secrets ---------------------------------------------------------------------


def errors_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    return [str(issue) for issue in info.value.issues]


def test_the_issue_examples_are_refused_in_one_line_each() -> None:
    raw = raw_with("mirrormakers.*.kafkaMirrormaker", ("refreshTopicsIntervalSeconds",), -5)
    raw["clusters"]["target"]["kafkaVersion"] = "2.8"
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.target.kafkaVersion: must be one of '3.9', '4.1', '4.2', '4.3' "
        "(or, deprecated, '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '4.0'), got '2.8'",
        "aiven-kafka-replication:mirrormakers.mm.kafkaMirrormaker.refreshTopicsIntervalSeconds: must be >= 1, got -5",
    ]


def test_deprecated_values_warn_and_name_the_current_ones() -> None:
    cfg = config.parse(dev_raw())  # the recipe, Kafka 3.2, still plans
    assert [str(w) for w in config.schema_warnings(cfg)] == [
        f"aiven-kafka-replication:clusters.{alias}.kafkaVersion: '3.2' is deprecated by Aiven; "
        "current values: '3.9', '4.1', '4.2', '4.3'; upgrade to '3.9' first: Aiven upgrades to 4.x only a service "
        "on 3.9 in KRaft mode"
        for alias in ("source", "target")
    ]
    raw = dev_raw()
    for cluster in raw["clusters"].values():
        cluster["kafkaVersion"] = "3.9"
    assert config.schema_warnings(config.parse(raw)) == []


def test_a_deprecated_4x_warns_without_the_step_through_3_9() -> None:
    raw = dev_raw()
    for cluster in raw["clusters"].values():
        cluster["kafkaVersion"] = "4.0"
    assert [str(w) for w in config.schema_warnings(config.parse(raw))] == [
        f"aiven-kafka-replication:clusters.{alias}.kafkaVersion: '4.0' is deprecated by Aiven; "
        "current values: '3.9', '4.1', '4.2', '4.3'"
        for alias in ("source", "target")
    ]


def test_a_key_aiven_does_not_list_is_refused_as_unjudgeable() -> None:
    # The provider (maybe newer) lists it; Aiven's schema gives no bounds to check it by.
    raw = raw_with("clusters.*.kafka", ("groupConsumerSessionTimeoutMs",), 45000)
    assert errors_of(raw) == [
        "aiven-kafka-replication:clusters.source.kafka.groupConsumerSessionTimeoutMs: not in Aiven's published "
        "user-config schema, so its bounds cannot be checked (the provider lists it and may be newer than the "
        "schema); got 45000"
    ]


def test_an_untranslatable_pattern_refuses_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    node = {"type": "string", "pattern": "^[[:alpha:]]+$"}
    found = list(aiven_schema.check(node, "abc", "clusters.source.kafka.x"))
    assert [f.message for f in found] == [
        "cannot be checked against Aiven's pattern '^[[:alpha:]]+$' (POSIX classes such as [[:alpha:]] differ in "
        "Python): refused rather than passed unchecked"
    ]


# --- the pattern translation, against RE2 itself -------------------------------------------------

GO_PATTERNS = [*PATTERN_EXAMPLES, r"^[a-zA-Z0-9_.-]+$", r"^[a-z0-9-]+$", r"^[0-9]+\.[0-9]+\.[0-9]+$",
               r"\A[\w\s-]{2,5}\z", r"^(?:ab|c\d)+$", r"^[]a]*$", r"^x[&~|[]y$", r"\bword\b", r"^\x41+$"]


def test_every_pattern_on_an_exposed_option_has_examples_and_translates() -> None:
    found = {node["pattern"] for exposed, (block, path) in aiven_schema.EXPOSED.items()
             for _, node in _leaves(aiven_schema.option(block, path)) if "pattern" in node}
    assert found == set(PATTERN_EXAMPLES)
    for pattern in found:
        assert not isinstance(aiven_schema.compiled_pattern(pattern), str)


@pytest.mark.parametrize("pattern", GO_PATTERNS)
@given(text=st.text(st.sampled_from("aZ09_-. \t\n\r\v\f\u00a0\u2028[]&~|wordAx"), max_size=8))
def test_translation_matches_what_re2_matches(pattern: str, text: str) -> None:
    compiled = aiven_schema.compiled_pattern(pattern)
    assert not isinstance(compiled, str), compiled
    assert bool(compiled.search(text)) == bool(re2.search(pattern, text))


@pytest.mark.parametrize("pattern", list(PATTERN_EXAMPLES))
def test_pattern_examples_are_what_re2_and_python_say(pattern: str) -> None:
    accepted, refused = PATTERN_EXAMPLES[pattern]
    for value in accepted:
        assert re2.search(pattern, value) and re.search(pattern, value), value
        assert aiven_schema.pattern_matches(pattern, value) is True
    for value in refused:
        assert not (re2.search(pattern, value) and re.search(pattern, value)), value
        assert aiven_schema.pattern_matches(pattern, value) is False


def test_a_value_one_engine_refuses_is_refused() -> None:
    # Go's \S takes a no-break space, Python's does not: the stricter reading wins.
    assert re2.search(r"^\S$", "\u00a0") and not re.search(r"^\S$", "\u00a0")
    assert aiven_schema.pattern_matches(r"^\S$", "\u00a0") is False
    # Python's $ takes a final newline, Go's does not.
    assert re.search(r"^a$", "a\n") and not re2.search(r"^a$", "a\n")
    assert aiven_schema.pattern_matches(r"^a$", "a\n") is False


@pytest.mark.parametrize(("pattern", "why"), [
    ("(?i)abc", "inline flags"),
    ("[[:alpha:]]", "POSIX classes"),
    (r"\pL+", r"the escape \p"),
    (r"\Qa.b\E", r"the escape \Q"),
    (r"[^\S]", r"a negated class \S inside"),
    ("[+--]", "'--' inside"),
    (r"\x{41}", r"the escape \x"),
    ("[abc", "not closed"),
])
def test_constructs_without_a_faithful_translation_are_refused(pattern: str, why: str) -> None:
    with pytest.raises(aiven_schema.UntranslatablePattern, match=why.replace("\\", "\\\\").replace("(", "\\(")):
        aiven_schema.python_pattern(pattern)


@given(alias=st.from_regex(config._ALIAS, fullmatch=True))
def test_config_aliases_are_valid_aiven_cluster_aliases(alias: str) -> None:
    # The integration's cluster_alias is the config's alias: the config's rule must be the stricter one.
    node = aiven_schema.option("kafka_mirrormaker_integration", ("clusterAlias",))
    assert list(aiven_schema.check(node, alias, "clusters")) == []


def test_a_mirrormaker_key_that_is_not_plain_is_quoted_in_the_path() -> None:
    raw = raw_with("mirrormakers.*.kafkaMirrormaker", ("refreshTopicsIntervalSeconds",), -5)
    raw["mirrormakers"] = {"m\nm": {**raw["mirrormakers"]["mm"], "serviceName": "mm"}}
    raw["flows"][0]["mirrormaker"] = "m\nm"
    assert errors_of(raw) == [
        "aiven-kafka-replication:mirrormakers['m\\nm'].kafkaMirrormaker.refreshTopicsIntervalSeconds: must be >= 1, got -5"
    ]


def test_an_offline_stand_in_for_a_secret_is_not_judged_as_the_secret() -> None:
    # The offline engine cannot decrypt `credentials`: its placeholder breaks the Datadog key's
    # pattern, yet says nothing about the real key, which `pulumi preview` checks.
    raw = raw_with("monitoring.datadog.apiKey", (), f"{config.OFFLINE_SECRET_PREFIX}{config.NAMESPACE}:credentials")
    config.parse(raw)
    raw["credentials"]["datadog-key"] = "not-a-datadog-key"
    assert errors_of(raw) == [
        "aiven-kafka-replication:monitoring.datadog.apiKey: must match Aiven's pattern '^[A-Za-z0-9]{1,256}$' "
        "(Must consist of up to 256 alpha-numeric characters), got (value not shown: it is a secret)"
    ]


# --- topic config: bounds from the provider contract (Aiven's user-config schemas have none) ------


def _topic_cases() -> Iterator[Any]:
    from replication import provider_schema

    token = provider_schema.PASS_THROUGH_ROOTS["TopicConfig"]
    for name, prop in provider_schema.subset()["types"][token]["properties"].items():
        number = prop["type"] == "number"
        if "x-minimum" in prop:
            low = prop["x-minimum"]
            yield pytest.param(name, low, math.nextafter(low, -math.inf) if number else low - 1, id=f"{name}-minimum")
        if "x-maximum" in prop:
            high = prop["x-maximum"]
            yield pytest.param(name, high, math.nextafter(high, math.inf) if number else high + 1, id=f"{name}-maximum")
        for member in prop.get("x-enumFromDescription", []) if not prop.get("x-enumOpen") else []:
            yield pytest.param(name, member, f"not-{member}", id=f"{name}-enum={member}")


TOPIC_CASES = list(_topic_cases())


def test_topic_cases_cover_the_contract_bounds() -> None:
    ids = {case.id for case in TOPIC_CASES}
    assert {"minInsyncReplicas-minimum", "segmentBytes-minimum", "segmentMs-minimum",
            "minCleanableDirtyRatio-maximum", "cleanupPolicy-enum=compact,delete"} <= ids


@pytest.mark.parametrize(("key", "on", "off"), TOPIC_CASES)
def test_topic_config_bound(key: str, on: Any, off: Any) -> None:
    raw = copy.deepcopy(dev_raw())
    topic = raw["clusters"]["source"]["topics"]["topic-a"]
    topic["config"] = {key: on}
    config.parse(raw)
    topic["config"] = {key: off}
    issues = errors_of(raw)
    at = f"{config.NAMESPACE}:clusters.source.topics.topic-a.config.{key}: "
    assert [i for i in issues if i.startswith(at) and str(off) in i], issues


def test_a_deprecated_option_warns_and_a_wrong_type_is_refused() -> None:
    node = {"type": "object", "properties": {"localCache": {"type": "integer", "is_deprecated": True, "minimum": 1}}}
    found = list(aiven_schema.check(node, {"localCache": 5}, "clusters.source.kafka"))
    assert found == [aiven_schema.Finding("clusters.source.kafka.localCache", "is deprecated by Aiven; leave it unset", "warning")]
    found = list(aiven_schema.check(node, {"localCache": True}, "clusters.source.kafka"))
    assert [f.message for f in found if f.level == "error"] == ["must be an integer, got True"]


@pytest.mark.parametrize(("text", "kinds", "number"), [
    ("9223372036854775807", ["integer"], 9223372036854775807),
    ("1.073741824e+11", ["integer"], 107374182400),
    ("0.2", ["number"], 0.2),
    ("-1", ["integer"], -1),
])
def test_bounds_are_read_exactly(text: str, kinds: list[str], number: float) -> None:
    value = aiven_schema._number(text, kinds)
    assert value == number and type(value) is type(number)
