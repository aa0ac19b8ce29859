"""The policy pack: its rules on what the mock engine records for every stack, on hand-made bad
cases, and its pulumi_policy adapters, all without the Pulumi CLI."""

from __future__ import annotations

import dataclasses
import json
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
import yaml
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import __main__ as pack
from policy import rules
from replication import stacks
from replication.policies import resources_of
from tests.conftest import ROOT, RunStack
from tests.test_config import dev_raw

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
IDENTITY = rules.IDENTITY_POLICY
PROTECTED = {"protected-kafka-services": {"requireProtection": True}, "no-open-ip-filter": {"requireProtection": True}}


def violations(resources: list[rules.Resource], config: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """Messages of every rule that found something."""
    found = rules.check_all(resources, config)
    return {name: [v.message for v in vs] for name, vs in found.items() if vs}


def named(resources: list[rules.Resource], name: str) -> rules.Resource:
    (found,) = [r for r in resources if r.name == name]
    return found


def edit(resources: list[rules.Resource], name: str, **changes: Any) -> list[rules.Resource]:
    """A copy with one resource changed: `inputs=...` merges into its inputs."""
    out = []
    for r in resources:
        if r.name == name:
            inputs = {**r.inputs, **changes.pop("inputs", {})}
            r = dataclasses.replace(r, inputs=inputs, **changes)
        out.append(r)
    return out


# --- every committed stack passes ---------------------------------------------------------------


@pytest.mark.parametrize("stack", stacks.committed())
def test_committed_stacks_pass_every_rule_with_their_pack_config(run_stack: RunStack, stack: str) -> None:
    config = stacks.pack_config(stack)
    assert violations(resources_of(run_stack(stack)), json.loads(config.read_text()) if config else None) == {}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_stacks_pass_every_rule(run_stack: RunStack, example: Path) -> None:
    assert violations(resources_of(run_stack(example.stem, stack_file=example))) == {}


# --- protection ---------------------------------------------------------------------------------


def test_required_protection_flags_every_unprotected_service_and_topic(run_stack: RunStack) -> None:
    found = violations(resources_of(run_stack("dev")), PROTECTED)
    assert sorted(found["protected-kafka-services"]) == [
        "mm-service: Aiven termination protection is off on a protected stack",
        "mm-service: not Pulumi-protected on a protected stack (protect: true)",
        "source-kafka: Aiven termination protection is off on a protected stack",
        "source-kafka: not Pulumi-protected on a protected stack (protect: true)",
        "source-topic-topic-a: not Pulumi-protected on a protected stack (protect: true)",
        "target-kafka: Aiven termination protection is off on a protected stack",
        "target-kafka: not Pulumi-protected on a protected stack (protect: true)",
        "target-topic-topic-b: not Pulumi-protected on a protected stack (protect: true)",
    ]
    assert sorted(found["no-open-ip-filter"]) == [
        "mm-service: ip filter '0.0.0.0/0' admits the whole internet",
        "source-kafka: no ip filter, so Aiven's default admits the whole internet",
        "target-kafka: no ip filter, so Aiven's default admits the whole internet",
    ]


def test_dev_is_not_protected_so_protection_rules_do_not_apply(run_stack: RunStack) -> None:
    assert not rules.protection_on(resources_of(run_stack("dev")), {})


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("source-kafka", {"protect": False}, "source-kafka: not Pulumi-protected on a protected stack (protect: true)"),
        (
            "target-kafka",
            {"inputs": {"terminationProtection": None}},
            "target-kafka: Aiven termination protection is off on a protected stack",
        ),
        ("mm-service", {"protect": False}, "mm-service: not Pulumi-protected on a protected stack (protect: true)"),
        (
            "target-topic-topic-b",
            {"protect": False},
            "target-topic-topic-b: not Pulumi-protected on a protected stack (protect: true)",
        ),
    ],
)
def test_one_unprotected_resource_on_a_protected_stack(
    run_stack: RunStack, name: str, change: dict[str, Any], message: str
) -> None:
    # No policy config: the stack is known to be protected from its other services.
    assert violations(edit(resources_of(run_stack("prod")), name, **change)) == {"protected-kafka-services": [message]}


@pytest.mark.parametrize(
    ("name", "user_config", "message"),
    [
        (
            "mm-service",
            {"kafkaMirrormakerUserConfig": {"ipFilterStrings": ["10.0.0.0/8", "0.0.0.0/0"]}},
            "mm-service: ip filter '0.0.0.0/0' admits the whole internet",
        ),
        (
            "source-kafka",
            {"kafkaUserConfig": {"ipFilterObjects": [{"network": "::/0"}]}},
            "source-kafka: ip filter '::/0' admits the whole internet",
        ),
        (
            "source-kafka",
            {"kafkaUserConfig": {"ipFilters": ["0.0.0.0/0"]}},
            "source-kafka: ip filter '0.0.0.0/0' admits the whole internet",
        ),
        (
            "target-kafka",
            {"kafkaUserConfig": {"kafkaVersion": "3.8"}},
            "target-kafka: no ip filter, so Aiven's default admits the whole internet",
        ),
        (
            "target-kafka",
            {"kafkaUserConfig": {"ipFilterStrings": []}},
            "target-kafka: no ip filter, so Aiven's default admits the whole internet",
        ),
    ],
)
def test_open_ip_filter_on_a_protected_stack(run_stack: RunStack, name: str, user_config: dict[str, Any], message: str) -> None:
    assert violations(edit(resources_of(run_stack("prod")), name, inputs=user_config)) == {"no-open-ip-filter": [message]}


@pytest.mark.parametrize(
    "user_config",
    [
        rules.UNKNOWN,
        {"ipFilterStrings": rules.UNKNOWN},
        {"ipFilterStrings": ["10.0.0.0/8", rules.UNKNOWN]},
        {"ipFilterObjects": [{"network": rules.UNKNOWN}]},
    ],
)
def test_ip_filter_known_only_after_up_is_not_judged(run_stack: RunStack, user_config: Any) -> None:
    resources = edit(resources_of(run_stack("prod")), "mm-service", inputs={"kafkaMirrormakerUserConfig": user_config})
    assert violations(resources) == {}


def test_open_ip_filter_is_allowed_without_protection(run_stack: RunStack) -> None:
    resources = edit(
        resources_of(run_stack("dev")),
        "mm-service",
        inputs={"kafkaMirrormakerUserConfig": {"ipFilterStrings": ["0.0.0.0/0"]}},
    )
    assert "no-open-ip-filter" not in violations(resources)


# --- flows and topics ---------------------------------------------------------------------------


def _dev_flow_overrides(**flow: Any) -> dict[str, Any]:
    return {"flows": [{**dev_raw()["flows"][0], **flow}]}


@pytest.mark.parametrize(
    ("exclude", "missed"),
    [
        ([r".*\.replica"], "__consumer_offsets"),
        (["__consumer_offsets"], "__transaction_state"),
        (["__consumer_offsets", "__transaction_state", "__cluster_metadata"], "__schemas"),
        ([], "__consumer_offsets"),
    ],
)
def test_flows_must_exclude_internal_topics(run_stack: RunStack, exclude: list[str], missed: str) -> None:
    result = run_stack("dev", **_dev_flow_overrides(topicsExclude=exclude))
    assert violations(resources_of(result)) == {
        "flows-exclude-internal-topics": [
            f"source-to-target-flow: topicsBlacklists {exclude!r} does not exclude internal topics such as {missed!r}; add '__.*'"
        ]
    }


@pytest.mark.parametrize("exclude", [["__.*"], ["_.*"], ["__.+"], [".*"], ["(__consumer_offsets|__.*)"]])
def test_patterns_covering_internal_topics_pass(exclude: list[str]) -> None:
    flow = rules.Resource("urn:x::f", rules.FLOW, {"topicsBlacklists": exclude})
    assert rules.flows_exclude_internal_topics([flow], {}) == []


def test_unset_or_unparsable_exclusions_fail_and_unknown_ones_wait() -> None:
    check = rules.flows_exclude_internal_topics
    assert len(check([rules.Resource("urn:x::f", rules.FLOW, {})], {})) == 1
    assert len(check([rules.Resource("urn:x::f", rules.FLOW, {"topicsBlacklists": ["(__"]})], {})) == 1
    assert check([rules.Resource("urn:x::f", rules.FLOW, {"topicsBlacklists": rules.UNKNOWN})], {}) == []


def test_single_replica_topics_are_flagged(run_stack: RunStack) -> None:
    raw = dev_raw()
    raw["clusters"]["source"]["topics"]["topic-a"]["replication"] = 1
    result = run_stack("dev", clusters=raw["clusters"], **_dev_flow_overrides(replicationFactor=1))
    assert violations(resources_of(result)) == {
        "topic-replication-at-least-2": [
            "source-topic-topic-a: replication 1 keeps a single copy; one broker failure loses data",
            "source-to-target-flow: replicationFactor 1 keeps a single copy; one broker failure loses data",
        ]
    }


# --- identity cycles ----------------------------------------------------------------------------


def _flow(
    name: str, source: Any, target: Any, *, policy: str = IDENTITY, enable: bool = True, **deps: list[str]
) -> rules.Resource:
    return rules.Resource(
        f"urn:pulumi:s::p::{rules.FLOW}::{name}",
        rules.FLOW,
        {"sourceCluster": source, "targetCluster": target, "replicationPolicyClass": policy, "enable": enable},
        property_dependencies=deps,
    )


def test_identity_cycle_across_mirrormakers_is_found() -> None:
    flows = [_flow("a-to-b", "a", "b"), _flow("b-to-c", "b", "c"), _flow("c-to-a", "c", "a"), _flow("c-to-d", "c", "d")]
    (found,) = rules.no_identity_cycles(flows, {})
    assert found.message == (
        "identity-policy flows form a cycle between clusters a, b, c: a-to-b (a -> b), b-to-c (b -> c), "
        "c-to-a (c -> a); use the default policy on at least one of them"
    )
    assert found.urn == flows[0].urn


@pytest.mark.parametrize(
    "last",
    [
        _flow("c-to-a", "c", "a", policy="org.apache.kafka.connect.mirror.DefaultReplicationPolicy"),
        _flow("c-to-a", "c", "a", enable=False),
        _flow("c-to-d", "c", "d"),
    ],
)
def test_no_cycle_without_an_identity_edge_back(last: rules.Resource) -> None:
    assert rules.no_identity_cycles([_flow("a-to-b", "a", "b"), _flow("b-to-c", "b", "c"), last], {}) == []


def test_active_active_with_identity_is_a_cycle(run_stack: RunStack) -> None:
    example = ROOT / "examples" / "active-active.yaml"
    resources = resources_of(run_stack("active-active", stack_file=example))
    flows = [r for r in resources if r.type == rules.FLOW]
    assert len(flows) == 2
    for f in flows:
        resources = edit(resources, f.name, inputs={"replicationPolicyClass": IDENTITY})
    found = violations(resources)
    assert list(found) == ["no-identity-replication-cycles"]
    assert "between clusters eu, us" in found["no-identity-replication-cycles"][0]


def test_unknown_aliases_are_read_from_the_integrations_they_depend_on(run_stack: RunStack) -> None:
    # In a real preview of new flows the aliases are integration outputs, unknown until `up`.
    example = ROOT / "examples" / "active-active.yaml"
    resources = resources_of(run_stack("active-active", stack_file=example))
    for f in [r for r in resources if r.type == rules.FLOW]:
        assert f.property_dependencies["sourceCluster"], "the flow's alias comes from an integration"
        resources = edit(
            resources,
            f.name,
            inputs={"replicationPolicyClass": IDENTITY, "sourceCluster": rules.UNKNOWN, "targetCluster": rules.UNKNOWN},
        )
    assert len(rules.no_identity_cycles(resources, {})) == 1
    # Without the dependencies there is nothing to go on: the edge is skipped, not guessed.
    bare = [dataclasses.replace(r, property_dependencies={}) for r in resources]
    assert rules.no_identity_cycles(bare, {}) == []


# --- the pulumi_policy pack ---------------------------------------------------------------------


def _policy_resource(r: rules.Resource, props: dict[str, Any]) -> pulumi_policy.PolicyResource:
    opts = pulumi_policy.PolicyResourceOptions(r.protect, [], None, [], pulumi_policy.PolicyCustomTimeouts(0, 0, 0), [])
    return pulumi_policy.PolicyResource(r.type, unknown_checking_proxy(props), r.urn, r.name, opts, None, None, [], {})


def _wire(value: Any) -> Any:
    # What the CLI sends: unknowns as Pulumi's sentinel strings.
    if value is rules.UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _policies() -> dict[str, pulumi_policy.Policy]:
    return {p.name: p for p in pack.policies()}


class Reported(list[tuple[str, str | None]]):
    """A `report_violation` callback that records what it is given."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append((message, urn))


def test_stack_policy_adapter_reports_with_urns(run_stack: RunStack) -> None:
    resources = resources_of(run_stack("dev"))
    stack = [_policy_resource(r, _wire(dict(r.inputs))) for r in resources]
    reported = Reported()
    policy = _policies()["no-open-ip-filter"]
    assert isinstance(policy, pulumi_policy.StackValidationPolicy)
    policy.validate(pulumi_policy.StackValidationArgs(stack, {"requireProtection": True}), reported)
    assert reported == [(v.message, v.urn) for v in rules.no_open_ip_filter(resources, {"requireProtection": True})]
    assert len(reported) == 3 and all(u for _, u in reported)


def test_stack_policy_adapter_passes_property_dependencies(run_stack: RunStack) -> None:
    example = ROOT / "examples" / "active-active.yaml"
    resources = resources_of(run_stack("active-active", stack_file=example))
    flow_changes = {"replicationPolicyClass": IDENTITY, "sourceCluster": rules.UNKNOWN, "targetCluster": rules.UNKNOWN}
    stack = {
        r.urn: _policy_resource(r, _wire({**r.inputs, **flow_changes} if r.type == rules.FLOW else dict(r.inputs)))
        for r in resources
    }
    for r in resources:
        stack[r.urn].property_dependencies.update(
            {k: [stack[u] for u in urns if u in stack] for k, urns in r.property_dependencies.items()}
        )
    reported = Reported()
    policy = _policies()["no-identity-replication-cycles"]
    assert isinstance(policy, pulumi_policy.StackValidationPolicy)
    policy.validate(pulumi_policy.StackValidationArgs(list(stack.values())), reported)
    assert len(reported) == 1 and "between clusters eu, us" in reported[0][0]


def test_resource_policy_adapter_tolerates_unknowns_and_reports() -> None:
    policy = _policies()["flows-exclude-internal-topics"]
    assert isinstance(policy, pulumi_policy.ResourceValidationPolicy)
    opts = pulumi_policy.PolicyResourceOptions(False, [], True, [], pulumi_policy.PolicyCustomTimeouts(0, 0, 0), [])

    def run(props: dict[str, Any]) -> Reported:
        reported = Reported()
        args = pulumi_policy.ResourceValidationArgs(
            rules.FLOW, unknown_checking_proxy(props), "urn:x::f", "f", opts, None
        )
        policy.validate(args, reported)
        return reported

    assert run({"topicsBlacklists": [".*"], "sourceCluster": UNKNOWN_STRING_VALUE}) == []
    assert run({"topicsBlacklists": UNKNOWN_STRING_VALUE}) == []
    assert len(run({"topicsBlacklists": ["x"], "topics": [UNKNOWN_STRING_VALUE]})) == 1


def test_plain_unwraps_proxies_and_marks_unknowns() -> None:
    proxied = unknown_checking_proxy({"a": [1, UNKNOWN_STRING_VALUE, {"b": UNKNOWN_STRING_VALUE}], "c": "x"})
    assert pack.plain(proxied) == {"a": [1, rules.UNKNOWN, {"b": rules.UNKNOWN}], "c": "x"}


@pytest.fixture
def built_packs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    # The real PolicyPack serves gRPC forever: record its arguments instead.
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    yield built


def test_main_builds_the_policy_pack_as_the_cli_runs_it(built_packs: list[dict[str, Any]]) -> None:
    runpy.run_path(str(ROOT / "policy"), run_name="__main__")
    (kwargs,) = built_packs
    assert kwargs["name"] == "aiven-kafka-replication"
    policies = kwargs["policies"]
    assert [p.name for p in policies] == [r.name for r in rules.RULES]
    levels = {p.name: p.enforcement_level for p in policies}
    mandatory = pulumi_policy.EnforcementLevel.MANDATORY
    assert levels == {
        "protected-kafka-services": mandatory,
        "no-open-ip-filter": mandatory,
        "flows-exclude-internal-topics": mandatory,
        "topic-replication-at-least-2": pulumi_policy.EnforcementLevel.ADVISORY,
        "no-identity-replication-cycles": mandatory,
        "no-plaintext-to-external": mandatory,
    }
    kinds = {p.name: type(p).__name__ for p in policies}
    assert kinds["no-identity-replication-cycles"] == kinds["protected-kafka-services"] == "StackValidationPolicy"
    assert kinds["flows-exclude-internal-topics"] == "ResourceValidationPolicy"


def test_importing_the_pack_module_builds_nothing(built_packs: list[dict[str, Any]]) -> None:
    import importlib

    importlib.reload(pack)
    assert built_packs == []


def test_pack_project_files() -> None:
    project = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements
    config = yaml.safe_load((ROOT / "policy" / "protected-stack.json").read_text())
    assert set(config) <= {r.name for r in rules.RULES}
    assert all(set(v) <= set(rules.REQUIRE_PROTECTION) for v in config.values())


def test_rules_module_is_plain_python() -> None:
    # The rules run in tests and in any tool without Pulumi: only the adapters import pulumi_policy.
    import ast

    tree = ast.parse((ROOT / "policy" / "rules.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.startswith("pulumi")}


# --- transport to external clusters -------------------------------------------------------------

PLAINTEXT_MESSAGE = (
    "source-to-partner-flow: flow source -> partner writes to external cluster 'partner' (endpoint 'partner-kafka') "
    "over PLAINTEXT: records leave unencrypted and unauthenticated; use SSL or SASL_SSL"
)


def _with_partner(run_stack: RunStack, stack: str, protocol: str, **flow: Any) -> list[rules.Resource]:
    """The stack with an external cluster `partner` and one more flow: source -> partner unless `flow` says."""
    raw = dev_raw() if stack == "dev" else {k.split(":", 1)[1]: v for k, v in yaml.safe_load(
        (ROOT / f"Pulumi.{stack}.yaml").read_text())["config"].items() if k.startswith("aiven-kafka-replication:")}
    clusters = {**raw["clusters"], "partner": {"external": {
        "endpointName": "partner-kafka", "bootstrapServers": ["kafka.partner.example.com:9092"],
        "securityProtocol": protocol}}}
    flows = [*raw["flows"], {"source": "source", "target": "partner", "mirrormaker": "mm", "replicationFactor": 3,
                             **flow}]
    return resources_of(run_stack(stack, clusters=clusters, flows=flows))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_flow_to_an_external_cluster_over_plaintext_is_found(run_stack: RunStack, stack: str) -> None:
    assert violations(_with_partner(run_stack, stack, "PLAINTEXT")) == {"no-plaintext-to-external": [PLAINTEXT_MESSAGE]}


@pytest.mark.parametrize(("protocol", "flow"), [
    ("SSL", {}),  # encrypted; client authentication is the cluster owner's choice
    ("PLAINTEXT", {"source": "partner", "target": "source"}),  # reading from it: a migration off the cluster
    ("PLAINTEXT", {"enabled": False}),  # a paused flow moves nothing; enabling it is checked again
])
def test_encrypted_reading_or_paused_flows_pass(run_stack: RunStack, protocol: str, flow: dict[str, Any]) -> None:
    assert "no-plaintext-to-external" not in violations(_with_partner(run_stack, "dev", protocol, **flow))


def test_the_target_of_a_new_flow_is_read_from_its_integration(run_stack: RunStack) -> None:
    # In a real preview of new flows the aliases are integration outputs, unknown until `up`.
    resources = edit(_with_partner(run_stack, "dev", "PLAINTEXT"), "source-to-partner-flow",
                     inputs={"sourceCluster": rules.UNKNOWN, "targetCluster": rules.UNKNOWN})
    assert [v.message for v in rules.no_plaintext_to_external(resources, {})] == [PLAINTEXT_MESSAGE]
