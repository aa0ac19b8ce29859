"""The policy pack's rules in `plan`, `diff` and `policy` (replication/policies.py): the same
findings as the pack, an error in a protected stack and a warning elsewhere unless the pack config
sets the level, and one open-filter rule for the config checks and the pack."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from policy import rules
from replication import cli, config, policies, stacks
from replication.engine import Secret
from tests.conftest import ROOT, RunStack, git
from tests.test_config import dev_raw, errors_of

OPEN_EXCLUDE = "flows-exclude-internal-topics"
EXCLUDE_MESSAGE = (
    "source-to-target-flow: topicsBlacklists [] does not exclude internal topics such as '__consumer_offsets'; add '__.*'"
)
PROD = json.loads((ROOT / "policy" / "protected-stack.json").read_text())


def _no_exclusions(run_stack: RunStack, stack: str) -> Any:
    flows = [{**flow, "topicsExclude": []} for flow in _raw(stack)["flows"]]
    return run_stack(stack, flows=flows)


def _raw(stack: str) -> dict[str, Any]:
    import yaml

    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in doc.items() if k.startswith("aiven-kafka-replication:")}


def _found(result: Any, pack_config: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(f.rule, f.level, f.message, f.error) for f in policies.check(result, pack_config)]


# --- levels -------------------------------------------------------------------------------------------


def test_a_mandatory_rule_warns_in_an_unprotected_stack(run_stack: RunStack) -> None:
    assert _found(_no_exclusions(run_stack, "dev"), {}) == [(OPEN_EXCLUDE, "mandatory", EXCLUDE_MESSAGE, False)]


def test_a_mandatory_rule_is_an_error_in_a_protected_stack(run_stack: RunStack) -> None:
    # Protected by its pack config, and by its services' termination protection alone.
    result = _no_exclusions(run_stack, "prod")
    assert _found(result, PROD) == [(OPEN_EXCLUDE, "mandatory", EXCLUDE_MESSAGE, True)]
    assert _found(result, {}) == [(OPEN_EXCLUDE, "mandatory", EXCLUDE_MESSAGE, True)]


@pytest.mark.parametrize(
    ("stack", "pack_config", "level", "error"),
    [
        ("dev", {OPEN_EXCLUDE: {"enforcementLevel": "mandatory"}}, "mandatory", True),
        ("dev", {OPEN_EXCLUDE: "mandatory"}, "mandatory", True),
        ("dev", {"all": "mandatory"}, "mandatory", True),
        ("prod", {OPEN_EXCLUDE: {"enforcementLevel": "advisory"}}, "advisory", False),
        ("prod", {"all": "advisory", OPEN_EXCLUDE: {}}, "advisory", False),
        ("prod", {"all": "advisory", OPEN_EXCLUDE: "mandatory"}, "mandatory", True),
    ],
)
def test_the_pack_config_sets_the_level(run_stack: RunStack, stack: str, pack_config: dict[str, Any], level: str, error: bool) -> None:
    assert _found(_no_exclusions(run_stack, stack), pack_config) == [(OPEN_EXCLUDE, level, EXCLUDE_MESSAGE, error)]


def test_a_disabled_rule_finds_nothing(run_stack: RunStack) -> None:
    assert _found(_no_exclusions(run_stack, "prod"), {OPEN_EXCLUDE: "disabled"}) == []


def test_an_advisory_rule_warns_even_in_a_protected_stack(run_stack: RunStack) -> None:
    # The config refuses replication 1 in prod (minInsyncReplicas): a program change could still do it.
    result = run_stack("prod")
    flow = next(r for r in result.resources if r.type == rules.FLOW)
    result.resources[result.resources.index(flow)] = dataclasses.replace(flow, inputs={**flow.inputs, "replicationFactor": 1})
    assert _found(result, PROD) == [
        ("topic-replication-at-least-2", "advisory",
         f"{flow.name}: replicationFactor 1 keeps a single copy; one broker failure loses data", False)
    ]


def test_required_protection_makes_every_mandatory_finding_an_error(run_stack: RunStack) -> None:
    # dev run with prod's pack config: everything dev lacks for a protected stack is an error.
    found = policies.check(run_stack("dev"), PROD)
    assert {f.rule for f in found} == {"protected-kafka-services", "no-open-ip-filter"}
    assert all(f.error for f in found)


@pytest.mark.parametrize("stack", stacks.committed())
def test_every_committed_stack_has_no_finding_with_its_pack_config(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "--stack", stack]) == 0
    assert capsys.readouterr().out == "policy: 0 errors, 0 warnings\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot be read as JSON (JSONDecodeError)"),
        ("[]", "must be a JSON object of policy name → settings"),
        ('{"no-such-rule": {}}', "unknown policy 'no-such-rule' (the pack has flows-exclude-internal-topics, "),
        ('{"no-open-ip-filter": "strict"}', "no-open-ip-filter: 'strict' is not a level (mandatory, advisory, disabled)"),
        ('{"all": {"enforcementLevel": 3}}', "all: {'enforcementLevel': 3} is not a level"),
        ('{"all": 3}', "all: 3 is not a level"),
    ],
)
def test_a_bad_pack_config_is_one_line_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "pack.json"
    path.write_text(content)
    assert cli.main(["plan", "--stack", "dev", "--policy-config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: policy config {str(path)!r}: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


# --- the commands ---------------------------------------------------------------------------------------


def _stack_file(tmp_path: Path, stack: str, old: str, new: str) -> Path:
    path = tmp_path / f"Pulumi.{stack}.yaml"
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


EXCLUDES = 'topicsExclude: [".*[\\\\-\\\\.]internal", ".*\\\\.replica", "__.*"]'


def test_plan_reports_a_mandatory_violation_of_an_unprotected_stack_as_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: `topicsExclude: []` planned cleanly, and only `pulumi preview --policy-pack` refused it.
    path = _stack_file(tmp_path, "dev", EXCLUDES, "topicsExclude: []")
    assert cli.main(["plan", "--stack", "dev", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"    warning: policy {OPEN_EXCLUDE} (mandatory): {EXCLUDE_MESSAGE}" in out
    assert cli.main(["plan", "--stack", "dev", "--config", str(path), "--format", "json"]) == 0
    assert f"policy {OPEN_EXCLUDE} (mandatory): {EXCLUDE_MESSAGE}" in json.loads(capsys.readouterr().out)["diagnostics"]


def test_plan_stops_a_protected_stack_on_a_mandatory_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _stack_file(tmp_path, "prod", EXCLUDES, "topicsExclude: []")
    assert cli.main(["plan", "--stack", "prod", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"error: the policy pack refuses this stack (1 errors):\n  policy {OPEN_EXCLUDE} (mandatory): {EXCLUDE_MESSAGE}\n"
    # The PR workflow pastes markdown's stdout whatever the exit code: the error is in it.
    assert cli.main(["plan", "--stack", "prod", "--config", str(path), "--format", "markdown"]) == 2
    assert f"policy {OPEN_EXCLUDE} (mandatory)" in capsys.readouterr().out
    assert cli.main(["policy", "--stack", "prod", "--config", str(path)]) == 2
    assert capsys.readouterr().out == (
        f"error: policy {OPEN_EXCLUDE} (mandatory): {EXCLUDE_MESSAGE}\npolicy: 1 errors, 0 warnings\n"
    )


def test_diff_stops_on_the_heads_policy_errors_not_on_the_bases(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prod = repo / "Pulumi.prod.yaml"
    good = prod.read_text()
    assert EXCLUDES in good
    prod.write_text(good.replace(EXCLUDES, "topicsExclude: []"))
    git(repo, "commit", "-q", "-am", "prod without exclusions")
    argv = ["diff", "--stack", "prod", "--base", "HEAD~1", "--dir", str(repo), "--format", "json"]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"  policy {OPEN_EXCLUDE} (mandatory): {EXCLUDE_MESSAGE}" in err
    # The fix: the base violates, the head does not. The base is compared, not judged.
    prod.write_text(good)
    git(repo, "commit", "-q", "-am", "fix")
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["changes"] and "policy" not in err


# --- open ip filters: one rule for the config checks and the pack ----------------------------------------


@pytest.mark.parametrize(
    ("networks", "families"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], ["IPv4"]),
        (["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1", "10.0.0.0/8"], ["IPv4"]),
        (["::/1", "8000::/1"], ["IPv6"]),
        (["::/2", "4000::/2", "8000::/1", "0.0.0.0/1"], ["IPv6"]),
        (["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"], ["IPv4", "IPv6"]),
        (["0.0.0.0/0"], ["IPv4"]),
        (["10.1.2.3/0"], ["IPv4"]),
        (["::/0"], ["IPv6"]),
        (["0.0.0.0/1", "128.0.0.0/2"], []),
        (["0.0.0.0/1", "::/1"], []),
        (["10.0.0.0/8", "192.168.0.0/16"], []),
        ([], []),
        (["not a network", "0.0.0.0/1"], []),
        # IPv4-mapped IPv6 (::ffff:0:0/96) admits the IPv4 clients of a dual-stack listener.
        (["::ffff:0.0.0.0/96"], ["IPv4"]),
        (["::ffff:0:0/97", "::ffff:128.0.0.0/97"], ["IPv4"]),
        (["0.0.0.0/1", "::ffff:128.0.0.0/97"], ["IPv4"]),
        (["::ffff:10.0.0.0/104"], []),
        (["::ffff:0.0.0.0/95"], []),
    ],
)
def test_open_families_is_the_union_of_the_networks(networks: list[str], families: list[str]) -> None:
    assert rules.open_families(networks) == families


@pytest.mark.parametrize(
    ("networks", "family"), [(["0.0.0.0/1", "128.0.0.0/1"], "IPv4"), (["::/1", "8000::/1", "10.0.0.0/8"], "IPv6")]
)
def test_a_filter_open_in_pieces_is_open_in_the_config_and_in_the_pack(
    run_stack: RunStack, networks: list[str], family: str
) -> None:
    raw = dev_raw()
    raw["mirrormakers"]["mm"]["ipFilter"] = networks
    # Without protection, the config warns (the program logs it) and the pack lets it pass.
    warnings = [str(w) for w in config.safety_warnings(config.parse(raw)) if "mirrormakers.mm" in w.path]
    assert warnings == [
        f"aiven-kafka-replication:mirrormakers.mm.ipFilter: {networks!r} together covers all of {family}, "
        "so it admits the whole internet"
    ]
    # With protection, the config refuses it before any resource is declared...
    assert errors_of({**raw, "protect": True, "clusters": _filtered(raw["clusters"])}) == [
        f"aiven-kafka-replication:mirrormakers.mm.ipFilter: {networks!r} together covers all of {family}, "
        "so it admits the whole internet (not allowed with protect: true)"
    ]
    # ...and the pack refuses it in a protected stack whose program let it through.
    prod = policies.resources_of(run_stack("prod"))
    mm = next(r for r in prod if r.type == rules.MIRRORMAKER)
    edited = [
        rules.Resource(r.urn, r.type, {**r.inputs, "kafkaMirrormakerUserConfig": {**r.inputs["kafkaMirrormakerUserConfig"], "ipFilterStrings": networks}}, r.protect)
        if r is mm else r
        for r in prod
    ]
    assert [v.message for v in rules.no_open_ip_filter(edited, {})] == [
        f"{mm.name}: ip filter {networks!r} together covers all of {family}, so it admits the whole internet"
    ]


def _filtered(clusters: dict[str, Any]) -> dict[str, Any]:
    return {alias: {**c, "ipFilter": ["10.0.0.0/8"]} if "external" not in c else c for alias, c in clusters.items()}


def test_a_single_open_network_is_named_alone_and_a_union_of_the_other_family_too() -> None:
    resource = rules.Resource("urn:x::mm", rules.MIRRORMAKER, {"kafkaMirrormakerUserConfig": {"ipFilterStrings": ["0.0.0.0/1", "128.0.0.0/1", "::/0"]}})
    assert [v.message for v in rules.no_open_ip_filter([resource], {"requireProtection": True})] == [
        "mm: ip filter '::/0' admits the whole internet",
        "mm: ip filter ['0.0.0.0/1', '128.0.0.0/1', '::/0'] together covers all of IPv4, so it admits the whole internet",
    ]


def test_a_secret_input_is_judged_but_never_printed(run_stack: RunStack) -> None:
    result = run_stack("prod")
    mm = next(r for r in result.resources if r.type == rules.MIRRORMAKER)
    index = result.resources.index(mm)
    networks = ["0.0.0.0/1", "128.0.0.0/1"]
    user_config = {**mm.inputs["kafkaMirrormakerUserConfig"], "ipFilterStrings": Secret(networks)}
    result.resources[index] = dataclasses.replace(mm, inputs={**mm.inputs, "kafkaMirrormakerUserConfig": user_config})
    (found,) = policies.check(result, PROD)
    assert found.rule == "no-open-ip-filter" and found.error
    assert "0.0.0.0/1" not in found.message and "128.0.0.0/1" not in found.message
    assert found.message == f"{mm.name}: ip filter ['[secret]', '[secret]'] together covers all of IPv4, so it admits the whole internet"


def test_a_flow_to_an_external_cluster_over_plaintext_is_an_error_only_in_a_protected_stack(
    run_stack: RunStack,
) -> None:
    # REVIEW2 11: prod's topics shipped to a partner's cluster in the clear passed with no word.
    partner = {"external": {"bootstrapServers": ["kafka.partner.example.com:9092"], "securityProtocol": "PLAINTEXT"}}
    message = ("source-to-partner-flow: flow source -> partner writes to external cluster 'partner' (endpoint "
               "'partner') over PLAINTEXT: records leave unencrypted and unauthenticated; use SSL or SASL_SSL")
    for stack, pack_config, error in (("prod", PROD, True), ("dev", {}, False)):
        raw = _raw(stack)
        flows = [*raw["flows"], {"source": "source", "target": "partner", "mirrormaker": "mm", "replicationFactor": 3}]
        result = run_stack(stack, clusters={**raw["clusters"], "partner": partner}, flows=flows)
        assert _found(result, pack_config) == [("no-plaintext-to-external", "mandatory", message, error)], stack
