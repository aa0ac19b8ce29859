"""`python -m replication diff`: git-ref pairs made here, in a temporary copy of the project.

Each test commits the project as the base, changes one thing, commits again, and diffs the base
against the working tree. Where the base comes from, and which code plans it: tests/test_base.py.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from replication import cli, docblocks, docgen, provider_schema, render
from replication import diff as diffs
from replication.engine import run_program
from tests.conftest import ROOT, git, run_checked
from tests.contract import contract


def change(repo: Path, file: str, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in a project file (it must occur `count` times) and commit."""
    path = repo / file
    text = path.read_text()
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {file}"
    path.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", "change")


def run(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str, stack: str = "dev", config: str | None = None
) -> tuple[int, str, str]:
    argv = ["diff", "--stack", stack, "--base", "HEAD~1", "--dir", str(repo), *args]
    if config:
        argv += ["--config", str(repo / config)]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    # The working tree's plan must hold the provider contract too: checked once per program input
    # (this process's package plans it, so the project's own inputs are its entry point and config).
    stack_file = repo / (config or f"Pulumi.{stack}.yaml")
    inputs = (stack, *((repo / f).read_text() for f in ("__main__.py", "Pulumi.yaml")), stack_file.read_text())
    if inputs not in _CONTRACT_CHECKED:
        run_checked(stack, program_dir=repo, stack_file=stack_file)
        _CONTRACT_CHECKED.add(inputs)
    return code, out, err


_CONTRACT_CHECKED: set[tuple[str, ...]] = set()


def changes(out: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(out)["changes"]}


def findings(out: str) -> list[tuple[str, str]]:
    return [(f["class"], f["name"]) for f in json.loads(out)["findings"]]


def test_adding_a_topic_is_a_create(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", "        topic-a: {partitions: 3, replication: 2}\n",
           "        topic-a: {partitions: 3, replication: 2}\n        orders: {partitions: 6, replication: 2}\n")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss")
    assert code == 0
    assert {n: c["action"] for n, c in changes(out).items()} == {"source-topic-orders": "create"}
    doc = json.loads(out)
    assert doc["summary"] == {"create": 1, "update": 0, "replace": 0, "delete": 0, "unchanged": 8}
    assert doc["findings"] == []
    assert {"alias": "target", "added": ["source.orders"], "removed": []} in doc["topicMap"]
    assert {"alias": "source", "added": ["orders"], "removed": []} in doc["topicMap"]
    code, out, _ = run(repo, capsys, "--format", "markdown")
    assert "| `+` create | 1 |" in out and "| `target` | `source.orders` |  |" in out
    assert "[!CAUTION]" not in out


def test_changing_a_plan_is_an_update_naming_the_input(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", "    source:\n      cloud: google-europe-west1\n      plan: business-4\n",
           "    source:\n      cloud: google-europe-west1\n      plan: business-8\n")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss")
    assert code == 0
    (kafka,) = changes(out).values()
    assert (kafka["name"], kafka["action"]) == ("source-kafka", "update")
    assert kafka["inputs"] == [{"path": "plan", "before": "business-4", "after": "business-8", "replaces": False}]
    assert findings(out) == []


def test_renaming_a_service_replaces_the_cluster_and_loses_data(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", "    target:\n      cloud:", "    target:\n      serviceName: target-dr\n      cloud:")
    code, out, err = run(repo, capsys, "--format", "json")
    assert code == 0, "data loss alone does not fail without --fail-on-data-loss"
    actions = {n: (c["action"], [i["path"] for i in c["inputs"] if i["replaces"]]) for n, c in changes(out).items()}
    assert actions == {
        "target-kafka": ("replace", ["serviceName"]),  # willReplaceOnChanges in the contract
        "target-topic-topic-b": ("replace", ["serviceName"]),
        "mm-integration-target": ("replace", ["sourceServiceName"]),
    }
    assert findings(out) == [
        ("data-loss", "target-kafka"),
        ("data-loss", "target-topic-topic-b"),
        ("advisory", "mm-integration-target"),
    ]
    message = json.loads(out)["findings"][0]["message"]
    assert "Kafka service `target` is replaced (the old one is deleted, a new one created): `serviceName` `target` → `target-dr`" in message
    code, out, err = run(repo, capsys, "--fail-on-data-loss")
    assert code == 1
    assert "data-loss: Kafka service `target` is replaced" in out
    assert " +- Kafka " in out and "serviceName: target → target-dr  (forces replacement)" in out
    assert "2 findings lose records, stop replication, cannot be applied or cannot be judged" in err


def test_replacing_a_protected_service_says_pulumi_refuses(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.prod.yaml", "serviceName: prod-kafka-target", "serviceName: prod-kafka-target-2")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss", stack="prod")
    assert code == 1
    messages = {f["name"]: f["message"] for f in json.loads(out)["findings"]}
    assert messages["target-kafka"].endswith("It is protected: `pulumi up` refuses until `protect` is lifted.")
    assert "protected" not in messages["mm-integration-target"], "integrations are never protected"


def test_lifting_protection_is_a_notice_per_resource(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.prod.yaml", "aiven-kafka-replication:protect: true", "aiven-kafka-replication:protect: false")
    # prod's pack config requires protection: the policy pack refuses the change (tests/test_policy_offline.py).
    assert cli.main(["diff", "--stack", "prod", "--base", "HEAD~1", "--dir", str(repo)]) == 2
    assert "protected-kafka-services" in capsys.readouterr().err
    # Without that config (a stack protected by its file alone), the diff says what lifting it does.
    (repo / "no-pack-config.json").write_text("{}")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss", "--policy-config",
                       str(repo / "no-pack-config.json"), stack="prod")
    assert code == 0
    assert sorted(findings(out)) == [
        ("advisory", name) for name in ("mm-service", "source-kafka", "source-topic-topic-a", "target-kafka", "target-topic-topic-b")
    ]
    assert changes(out)["source-kafka"]["options"] == ["protect: true → false"]


def test_removing_a_cluster_deletes_it_and_its_replication(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = "examples/fan-in.yaml"
    text = (repo / config).read_text()
    start = text.index("    edge-ap:\n")
    end = text.index("    central:\n")
    (repo / config).write_text(
        text[:start] + text[end:].replace("    - {source: edge-ap, target: central, topics: [\"clicks\"]}\n", "")
    )
    git(repo, "commit", "-q", "-am", "remove edge-ap")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss", stack="fan-in", config=config)
    assert code == 1
    assert {n: c["action"] for n, c in changes(out).items()} == {
        "edge-ap-kafka": "delete",
        "edge-ap-topic-clicks": "delete",
        "mm-central-integration-edge-ap": "delete",
        "edge-ap-to-central-flow": "delete",
    }
    assert findings(out) == [
        ("data-loss", "edge-ap-kafka"),
        ("data-loss", "edge-ap-topic-clicks"),
        ("replication-stops", "edge-ap-to-central-flow"),
    ]
    stops = json.loads(out)["findings"][2]["message"]
    assert "`edge-ap.clicks` on `central` stops receiving records, no topic receives them instead" in stops
    assert {"alias": "central", "added": [], "removed": ["edge-ap.clicks"]} in json.loads(out)["topicMap"]


def test_a_partition_decrease_is_an_error_even_without_the_flag(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", "topic-a: {partitions: 3,", "topic-a: {partitions: 2,")
    code, out, err = run(repo, capsys, "--format", "json")
    assert code == 1
    (topic,) = changes(out).values()
    assert (topic["name"], topic["action"]) == ("source-topic-topic-a", "update")
    assert findings(out) == [("cannot-apply", "source-topic-topic-a")]
    assert "Kafka cannot remove partitions" in json.loads(out)["findings"][0]["message"]
    assert "1 findings cannot be applied" in err


def test_a_partition_increase_is_silent(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", "topic-a: {partitions: 3,", "topic-a: {partitions: 6,")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss")
    assert code == 0
    assert findings(out) == []


def test_disabling_a_flow_stops_replication(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", '      topicsExclude: [".*[\\\\-\\\\.]internal", ".*\\\\.replica", "__.*"]\n',
           '      topicsExclude: [".*[\\\\-\\\\.]internal", ".*\\\\.replica", "__.*"]\n      enabled: false\n')
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss")
    assert code == 1
    assert findings(out) == [("replication-stops", "source-to-target-flow")]
    assert changes(out)["source-to-target-flow"]["action"] == "update"


def test_no_change_says_so_in_every_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss")
    assert code == 0
    assert json.loads(out)["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "unchanged": 8}
    assert run(repo, capsys, "--format", "markdown")[1].count("No changes to Aiven resources.") == 1
    assert "Resources: 8 unchanged" in run(repo, capsys)[1]


def test_the_base_is_planned_by_its_own_code(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The base's plan document reports one partition per topic: only the base's own code can say that.
    render_py = repo / "replication" / "plandoc.py"
    original = render_py.read_text()
    render_py.write_text(
        original + "\n\n_plan_document = plan_document\n\n\n"
        "def plan_document(result):\n"
        "    doc = _plan_document(result)\n"
        "    for r in doc['resources']:\n"
        "        if r['type'].endswith('KafkaTopic'):\n"
        "            r['inputs']['partitions'] = 1\n"
        "    return doc\n"
    )
    git(repo, "commit", "-q", "-am", "base code: one partition")
    render_py.write_text(original)
    git(repo, "commit", "-q", "-am", "working tree code")
    code, out, err = run(repo, capsys, "--format", "json")
    assert code == 0
    assert "planned in a subprocess, with the code of HEAD~1 (the working tree's differs: replication/plandoc.py)" in err
    assert {n: [(i["path"], i["before"], i["after"]) for i in c["inputs"]] for n, c in changes(out).items()} == {
        "source-topic-topic-a": [("partitions", 1, 3)],
        "target-topic-topic-b": [("partitions", 1, 3)],
    }


def test_a_stack_new_at_head_is_all_creates(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy2(repo / "Pulumi.dev.yaml", repo / "Pulumi.staging.yaml")
    git(repo, "add", "Pulumi.staging.yaml")
    git(repo, "commit", "-q", "-m", "staging")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss", stack="staging")
    assert code == 0
    doc = json.loads(out)
    assert doc["baseMissing"] is True
    assert doc["summary"]["create"] == 8
    code, out, _ = run(repo, capsys, stack="staging")
    assert "no config at HEAD~1: everything is new" in out


@pytest.mark.parametrize("example", sorted(p.stem for p in (ROOT / "examples").glob("*.yaml")))
def test_an_unchanged_example_has_no_changes(repo: Path, capsys: pytest.CaptureFixture[str], example: str) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    code, out, _ = run(repo, capsys, "--format", "json", "--fail-on-data-loss", stack=example,
                       config=f"examples/{example}.yaml")
    doc = json.loads(out)
    assert code == 0 and doc["changes"] == [] and doc["findings"] == []
    assert doc["summary"]["unchanged"] == len([r for r in run_checked(
        example, program_dir=repo, stack_file=repo / "examples" / f"{example}.yaml").resources if r.custom])


def test_a_bad_ref_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["diff", "--stack", "dev", "--base", "no-such-ref", "--dir", str(repo)])
    assert code == 2
    err = capsys.readouterr().err
    assert err == f"error: base ref 'no-such-ref' does not resolve to a commit in the git repository {repo.resolve()}\n"


def test_an_invalid_base_config_exits_2_naming_the_ref(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "Pulumi.dev.yaml", 'kafkaVersion: "3.2"', "kafkaVersion: 3.10", count=2)
    change(repo, "Pulumi.dev.yaml", "kafkaVersion: 3.10", 'kafkaVersion: "3.2"', count=2)
    code = cli.main(["diff", "--stack", "dev", "--base", "HEAD~1", "--dir", str(repo)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the base of dev (HEAD~1) fails to plan: Pulumi.dev.yaml: ") and "kafkaVersion: must be a quoted string" in err


def test_diff_runs_as_a_module_in_a_subprocess(repo: Path) -> None:
    change(repo, "Pulumi.dev.yaml", "    target:\n      cloud:", "    target:\n      serviceName: target-dr\n      cloud:")
    proc = subprocess.run(
        [sys.executable, "-m", "replication", "diff", "--stack", "dev", "--base", "HEAD~1", "--dir", str(repo),
         "--format", "markdown", "--fail-on-data-loss"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "> [!CAUTION]" in proc.stdout
    assert "| `+-` replace | `target-kafka` | Kafka | `serviceName`: `target` → `target-dr` **(forces replacement)** |" in proc.stdout


# --- renames in code, followed through aliases --------------------------------------------------

KAFKA_CLUSTER = "replication/components/kafka_cluster.py"


def rename_kafka_services(repo: Path, *, alias: bool) -> None:
    """Rename every cluster's Kafka child `{name}-kafka` to `{name}-service` in the code, and commit.

    The call is found with `ast`, not by its text, so the edit survives refactors of how its options are built.
    """
    path = repo / KAFKA_CLUSTER
    source = path.read_bytes()
    (call,) = [
        node for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.JoinedStr)
        and ast.unparse(node.args[0]) == "f'{name}-kafka'"
    ]
    lines = source.splitlines(keepends=True)

    def offset(line: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return sum(len(x) for x in lines[: line - 1]) + col

    edits = [(call.args[0], b'f"{name}-service"')]
    if alias:
        (opts,) = [k.value for k in call.keywords if k.arg == "opts"]
        text = ast.get_source_segment(source.decode(), opts)
        assert text is not None
        merged = f'pulumi.ResourceOptions.merge({text}, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"{{name}}-kafka")]))'
        edits.append((opts, merged.encode()))
    for node, new in sorted(edits, key=lambda e: e[0].lineno * 10**6 + e[0].col_offset, reverse=True):
        assert node.end_lineno is not None and node.end_col_offset is not None
        source = source[: offset(node.lineno, node.col_offset)] + new + source[offset(node.end_lineno, node.end_col_offset):]
    path.write_bytes(source)
    git(repo, "commit", "-q", "-am", "rename the Kafka services")


def old_kafka_urns(repo: Path) -> dict[str, str]:
    """The URN of each cluster's Kafka service as the base commit declares it, by cluster."""
    base = run_program("dev", repo)  # this process's code: the base's
    return {cluster: base.named(f"{cluster}-kafka").urn for cluster in ("source", "target")}


def plans_with_repo_code(repo: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan documents of HEAD~1 and of the working tree, each planned by its own code: the
    base's is this process's (the fixture copied it), the working tree's runs in a subprocess."""
    head = subprocess.run(
        [sys.executable, "-m", "replication", "plan", "--stack", "dev", "--format", "json"],
        cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True, text=True, timeout=300,
        check=True,
    )
    return render.plan_document(run_program("dev", repo)), json.loads(head.stdout)


def rendered(base: dict[str, Any], head: dict[str, Any], fmt: str) -> str:
    """The diff of two plan documents as `diff --format fmt` prints it."""
    return cli.DIFF_FORMATS[fmt](diffs.compare(base, head, base_ref="HEAD~1"), head)


def test_a_rename_in_code_with_an_alias_moves_the_state(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--stack", "dev", "--dir", str(repo), "--format", "json"]) == 0
    assert {tuple(r["aliases"]) for r in json.loads(capsys.readouterr().out)["resources"]} == {()}
    rename_kafka_services(repo, alias=True)
    base, head = plans_with_repo_code(repo)
    old_urns = old_kafka_urns(repo)
    # The plan document lists each resource's aliases, sorted.
    aliases = {r["name"]: r["aliases"] for r in head["resources"] if r["aliases"]}
    assert aliases == {f"{c}-service": [urn] for c, urn in old_urns.items()}
    assert diffs.compare(base, head).failing(fail_on_data_loss=True) == []
    doc = json.loads(rendered(base, head, "json"))
    assert doc["findings"] == []
    assert doc["summary"] == {"create": 0, "update": 2, "replace": 0, "delete": 0, "unchanged": 6}
    assert {c["name"]: (c["action"], c["inputs"], c["renamedFrom"]) for c in doc["changes"]} == {
        f"{cluster}-service": ("update", [], urn) for cluster, urn in old_urns.items()
    }
    markdown_out = rendered(base, head, "markdown")
    assert "[!CAUTION]" not in markdown_out
    assert "| renamed through aliases | 2 |" in markdown_out
    assert ("| `~` update | `source-service` | Kafka | renamed through an alias: `source-kafka` → `source-service` |"
            in markdown_out)
    text_out = rendered(base, head, "text")
    assert "renamed through an alias: target-kafka → target-service; the state moves, nothing is deleted" in text_out
    assert "Resources: 2 to update, 2 renamed through aliases, 6 unchanged" in text_out


def test_the_same_rename_without_an_alias_destroys_the_clusters(repo: Path) -> None:
    rename_kafka_services(repo, alias=False)
    base, head = plans_with_repo_code(repo)
    assert len(diffs.compare(base, head).failing(fail_on_data_loss=True)) == 2
    out = rendered(base, head, "json")
    assert {c["name"]: (c["action"], c["renamedFrom"]) for c in json.loads(out)["changes"]} == {
        "source-kafka": ("delete", None), "target-kafka": ("delete", None),
        "source-service": ("create", None), "target-service": ("create", None),
    }
    assert findings(out) == [("data-loss", "source-kafka"), ("data-loss", "target-kafka")]


# --- the classification itself, on plan documents ----------------------------------------------


def _doc(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"project": "p", "stack": "s", "resources": list(resources), "outputs": {}}


def _res(type_: str, name: str, **inputs: Any) -> dict[str, Any]:
    return {"urn": f"urn:{name}", "type": type_, "name": name, "parent": None, "custom": True, "inputs": inputs,
            "protect": False, "deleteBeforeReplace": False, "importId": None}


def test_every_replace_on_change_input_of_the_contract_forces_a_replace() -> None:
    for token in provider_schema.DECLARED_RESOURCES:
        flagged = {k for k, v in contract().resources[token]["inputProperties"].items() if v.get("willReplaceOnChanges")}
        assert flagged <= provider_schema.replace_on_changes(token), token
        for key in provider_schema.replace_on_changes(token):
            d = diffs.compare(_doc(_res(token, "r", **{key: "a"})), _doc(_res(token, "r", **{key: "b"})))
            assert [c.action for c in d.changes] == ["replace"], (token, key)


def test_inputs_the_provider_recreates_on_but_does_not_flag_are_real_inputs() -> None:
    for token, keys in provider_schema.REPLACE_ON_CHANGES_UNFLAGGED.items():
        props = contract().resources[token]["inputProperties"]
        for key in keys:
            assert key in props and not props[key].get("willReplaceOnChanges"), (token, key)


def test_a_flow_moved_to_other_cluster_aliases_is_replaced_and_pauses() -> None:
    # The provider recreates a flow whose aliases change, though the schema does not flag them.
    before = _res(diffs.FLOW, "f", serviceName="mm", sourceCluster="a", targetCluster="b")
    d = diffs.compare(_doc(before), _doc({**before, "inputs": {**before["inputs"], "sourceCluster": "c"}}))
    assert [c.action for c in d.changes] == ["replace"]
    # It pauses while recreated, and copies from `c` replace those from `a`.
    assert [(f.cls, f.name) for f in d.findings] == [("replication-stops", "f"), ("advisory", "f")]


def test_findings_are_ordered_by_severity() -> None:
    topic = _res(diffs.TOPIC, "b-topic", serviceName="s", topicName="t", partitions=3)
    kafka = _res(diffs.KAFKA, "a-kafka", serviceName="s")  # sorts first by URN
    d = diffs.compare(_doc(topic, kafka), _doc({**topic, "inputs": {**topic["inputs"], "partitions": 1}}))
    assert [f.cls for f in d.findings] == ["cannot-apply", "data-loss"]


def test_a_protect_change_is_an_update_of_options() -> None:
    before = _res(diffs.KAFKA, "k", serviceName="a")
    after = {**before, "protect": True}
    (c,) = diffs.compare(_doc(before), _doc(after)).changes
    assert (c.action, c.inputs, c.options) == ("update", (), ("protect: false → true",))


def _renamed(resource: dict[str, Any], name: str, *aliases: str, **inputs: Any) -> dict[str, Any]:
    return {**resource, "urn": f"urn:{name}", "name": name, "aliases": list(aliases),
            "inputs": {**resource["inputs"], **inputs}}


def test_a_rename_through_an_alias_is_an_update_not_a_delete_and_create() -> None:
    kafka = _res(diffs.KAFKA, "k-old", serviceName="k", plan="business-4")
    d = diffs.compare(_doc(kafka), _doc(_renamed(kafka, "k-new", "urn:k-old")))
    (c,) = d.changes
    assert (c.urn, c.action, c.inputs, c.renamed_from) == ("urn:k-new", "update", (), "urn:k-old")
    assert d.findings == () and d.unchanged == 0 and d.renamed == 1
    assert diffs.document(d)["changes"][0]["renamedFrom"] == "urn:k-old"
    assert "renamed through an alias: k-old → k-new; the state moves" in diffs.text(d)
    # Changed inputs of a renamed resource are compared as for any update.
    (c,) = diffs.compare(_doc(kafka), _doc(_renamed(kafka, "k-new", "urn:k-old", plan="business-8"))).changes
    assert (c.action, [(i.path, i.before, i.after) for i in c.inputs]) == ("update", [("plan", "business-4", "business-8")])


def test_a_renamed_resource_is_still_replaced_by_a_replace_on_change_input() -> None:
    kafka = _res(diffs.KAFKA, "k-old", serviceName="k")
    d = diffs.compare(_doc(kafka), _doc(_renamed(kafka, "k-new", "urn:k-old", serviceName="k2")))
    (c,) = d.changes
    assert (c.action, c.renamed_from) == ("replace", "urn:k-old")
    assert [(f.cls, f.name) for f in d.findings] == [("data-loss", "k-new")]
    assert "renamed through an alias: k-old → k-new\n" in diffs.text(d), "a replace does not say nothing is deleted"


def test_a_rename_that_keeps_the_name_shows_the_urns() -> None:
    kafka = _res(diffs.KAFKA, "k", serviceName="k")
    moved = {**kafka, "urn": "urn:other-parent$k", "aliases": ["urn:k"]}
    (c,) = diffs.compare(_doc(kafka), _doc(moved)).changes
    assert diffs.rename(c) == ("urn:k", "urn:other-parent$k")


def test_an_alias_is_followed_only_to_a_base_urn_the_head_no_longer_holds() -> None:
    kafka = _res(diffs.KAFKA, "k-old", serviceName="k")
    other = _res(diffs.KAFKA, "x", serviceName="x")
    # The old URN is still declared: the aliasing resource is a new one.
    d = diffs.compare(_doc(kafka), _doc(kafka, _renamed(kafka, "k-new", "urn:k-old")))
    assert [(c.name, c.action, c.renamed_from) for c in d.changes] == [("k-new", "create", None)]
    # Two resources alias one old URN: the state moves to one of them only.
    d = diffs.compare(_doc(kafka), _doc(_renamed(kafka, "k-a", "urn:k-old"), _renamed(kafka, "k-b", "urn:k-old")))
    assert [(c.name, c.action, c.renamed_from) for c in d.changes] == [("k-a", "update", "urn:k-old"),
                                                                       ("k-b", "create", None)]
    # One resource takes one old state: the first alias that matches; the other is deleted.
    d = diffs.compare(_doc(kafka, other), _doc(_renamed(kafka, "k-new", "urn:k-old", "urn:x")))
    assert [(c.name, c.action, c.renamed_from) for c in d.changes] == [("k-new", "update", "urn:k-old"),
                                                                       ("x", "delete", None)]
    # A resource whose own URN is in the base keeps its state; the one it aliases is deleted.
    d = diffs.compare(_doc(kafka, other), _doc({**other, "aliases": ["urn:k-old"]}))
    assert [(c.name, c.action) for c in d.changes] == [("k-old", "delete")]
    assert [(f.cls, f.name) for f in d.findings] == [("data-loss", "k-old")]


def test_masked_secrets_are_compared_as_masked() -> None:
    before = _res(diffs.ENDPOINT, "e", externalKafkaUserConfig={"saslPlainPassword": "[secret]"})
    d = diffs.compare(_doc(before), _doc(before))
    assert d.changes == () and d.unchanged == 1


# --- the review doc's examples are this tool's output --------------------------------------------

def doc_examples(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The dev stack's diagram, and the diff of renaming its target cluster's service."""
    assert cli.main(["plan", "--stack", "dev", "--dir", str(repo), "--format", "markdown"]) == 0
    (diagram,) = re.findall(r"^```mermaid\n.*?^```\n", capsys.readouterr().out, flags=re.S | re.M)
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    change(repo, "Pulumi.dev.yaml", "    target:\n      cloud:", "    target:\n      serviceName: target-dr\n      cloud:")
    argv = ["diff", "--stack", "dev", "--base", "origin/main", "--dir", str(repo), "--format", "markdown"]
    assert cli.main(argv) == 0
    return {"plan-diagram": diagram, "rename-diff": "````markdown\n" + capsys.readouterr().out + "````\n"}


def test_review_doc_examples_are_generated(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/pr-review.md's examples are this tool's output (the registry in replication.docgen names
    this test as their generator). Regenerate with: UPDATE_DOCS=1 python -m pytest tests/test_diff.py -k review_doc"""
    expected = doc_examples(repo, capsys)
    assert {g.name for g in docgen.BLOCKS if g.test.endswith(f"::{test_review_doc_examples_are_generated.__name__}")} == set(expected)
    page = docgen.PR_REVIEW
    if os.environ.get("UPDATE_DOCS"):
        (ROOT / page).write_text(docgen.rendered(page, expected))
        return
    found = docblocks.find((ROOT / page).read_text())
    for name, body in expected.items():
        assert found[name].body == body, f"{page} block {name} is stale: {docgen.on_page(page)[name].note}"


def test_the_heads_config_and_policy_warnings_reach_every_format(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # minInsyncReplicas == replication factor (config warning) and topicsExclude [] (the pack's
    # mandatory rule, a warning in an unprotected stack): `plan` shows both, so must `diff`.
    change(repo, "Pulumi.dev.yaml", "        groupMaxSessionTimeoutMs: 70000\n",
           "        groupMaxSessionTimeoutMs: 70000\n        minInsyncReplicas: 2\n", count=2)
    change(repo, "Pulumi.dev.yaml", '[".*[\\\\-\\\\.]internal", ".*\\\\.replica", "__.*"]', "[]")
    plan = run_program("dev", repo)
    cli.judge(cli._parser().parse_args(["plan", "--stack", "dev", "--dir", str(repo)]), plan)
    expected = render.plan_document(plan)["diagnostics"]
    assert any("equals minInsyncReplicas 2" in w for w in expected)
    assert any("'3.2' is deprecated" in w for w in expected)
    assert any("mirrormakers.mm.ipFilter[0]: '0.0.0.0/0' admits the whole internet" in w for w in expected)
    assert any(w.startswith("policy flows-exclude-internal-topics (mandatory)") for w in expected)
    code, out, err = run(repo, capsys, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["diagnostics"] == expected
    assert "policy flows-exclude-internal-topics" not in err  # once, in the output itself
    code, out, _ = run(repo, capsys)
    assert code == 0
    assert out.count("    warning: ") == len(expected)
    assert all(f"    warning: {w}" in out for w in expected)
    code, out, _ = run(repo, capsys, "--format", "markdown")
    assert code == 0
    block = out.split("### Diagnostics\n\n```text\n", 1)[1].split("\n```\n", 1)[0]
    assert block.splitlines() == [f"warning: {w}" for w in expected]


def test_the_head_is_judged_with_the_base_refs_pack_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A change that drops prod from policy/stacks.json and turns protect off: judged with the base's
    # pack config, which requires protection, so the mandatory rules stay errors (exit 2).
    (repo / "policy" / "stacks.json").write_text("{}\n")
    prod = repo / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("aiven-kafka-replication:protect: true", "aiven-kafka-replication:protect: false"))
    git(repo, "commit", "-q", "-am", "unprotect prod")
    assert cli.main(["diff", "--stack", "prod", "--base", "HEAD~1", "--dir", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "policy protected-kafka-services (mandatory)" in err
    # `plan` reads the working tree: there prod is no longer protected, and the rule passes.
    assert cli.main(["plan", "--stack", "prod", "--dir", str(repo)]) == 0
    assert "protected-kafka-services" not in capsys.readouterr().out


def test_a_change_to_the_pack_config_is_named_in_the_diff(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Unchanged pack configs: no note.
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    code, out, _ = run(repo, capsys, "--format", "json")
    assert code == 0
    assert not any(d.startswith("policy: this change edits") for d in json.loads(out)["diagnostics"])
    change(repo, "policy/stacks.json", '{"prod": "policy/protected-stack.json"}',
           '{"prod": "policy/protected-stack.json", "dev": "policy/protected-stack.json"}')
    code, out, _ = run(repo, capsys, "--format", "json")
    assert code == 0  # judged with the base's: dev has no pack config there
    assert json.loads(out)["diagnostics"][-1].startswith(
        "policy: this change edits the pack config of stack 'dev' (policy/stacks.json or none → "
        "policy/protected-stack.json); it is judged with the base's (policy/stacks.json at HEAD~1)"
    )
