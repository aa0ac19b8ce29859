"""URN stability: every committed stack's resource URNs, pinned in `tests/snapshots/`.

Pulumi identifies a resource by its URN (stack, project, parent type chain, type and name). A
refactor that changes a URN, for example renaming a component's child from `{name}-kafka` to
`{name}-service`, makes `pulumi up` delete the resource under the old URN and create one under the
new: for a Kafka service, its data is gone. Renames must carry `aliases=[pulumi.Alias(name=...)]`
to the old name, so the engine moves the state instead.

A changed URN fails the test, which says for each vanished URN whether an alias covers it (a safe
rename) or not (a destroy-and-recreate). A committed stack without a snapshot fails too, and so does
a snapshot without a stack. When the change is intended (a config change that adds or removes
resources, or a rename that now carries aliases), update the snapshots:

    UPDATE_URN_SNAPSHOTS=1 python -m pytest tests/test_urn_stability.py

and review the snapshot diff in the pull request like code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from replication.engine import RunResult, run_program
from replication.stacks import committed
from tests.conftest import ROOT, run_checked

SNAPSHOTS = ROOT / "tests" / "snapshots"
UPDATE = os.environ.get("UPDATE_URN_SNAPSHOTS") == "1"
HOW_TO_UPDATE = "UPDATE_URN_SNAPSHOTS=1 python -m pytest tests/test_urn_stability.py"


def new_stack_command(stack: str) -> str:
    """The command that writes one stack's snapshot (a new stack's), leaving the others as they are."""
    return f"UPDATE_URN_SNAPSHOTS=1 python -m pytest 'tests/test_urn_stability.py::test_urns_match_the_snapshot[{stack}]'"


@dataclass(frozen=True)
class Stack:
    """A committed stack: its name, its config file and the snapshot that pins its URNs."""

    name: str
    stack_file: Path
    snapshot: Path


def committed_stacks(root: Path = ROOT) -> list[Stack]:
    """`Pulumi.<stack>.yaml` at the root and every `examples/<name>.yaml` (planned as stack <name>)."""
    stacks = [Stack(name, root / f"Pulumi.{name}.yaml", SNAPSHOTS / f"urns-{name}.json") for name in committed(root)]
    stacks += [Stack(p.stem, p, SNAPSHOTS / f"urns-example-{p.stem}.json") for p in sorted(root.glob("examples/*.yaml"))]
    return stacks


@dataclass
class UrnChanges:
    """How a plan's URNs differ from a snapshot."""

    replaced: list[str] = field(default_factory=list)
    """Snapshot URNs nothing answers to: `pulumi up` deletes them and creates the new ones."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Snapshot URNs a resource now answers to through `aliases`: old → new. Safe."""
    added: list[str] = field(default_factory=list)
    """URNs not in the snapshot and aliasing none of it: new resources."""

    def __bool__(self) -> bool:
        return bool(self.replaced or self.renamed or self.added)

    def explain(self, stack: str) -> str:
        lines = [f"the URNs of stack {stack!r} differ from its snapshot:"]
        lines += [
            f"  - {urn}\n      DESTROY AND RECREATE: no resource answers to this URN any more. A changed name, type "
            "or parent is a new resource to Pulumi; if this is a rename, add "
            "`aliases=[pulumi.Alias(name=<old name>)]` to the resource options"
            for urn in self.replaced
        ]
        lines += [f"  ~ {old}\n      renamed to {new} through aliases (safe)" for old, new in self.renamed.items()]
        lines += [f"  + {urn}\n      new resource" for urn in self.added]
        lines.append(f"if every change is intended, update the snapshots: {HOW_TO_UPDATE}")
        return "\n".join(lines)


def compare(snapshot: list[str], result: RunResult) -> UrnChanges:
    """Classify the differences between a snapshot's URNs and a plan's."""
    index = result.by_urn()
    pinned = set(snapshot)
    changes = UrnChanges()
    # Every URN a resource answers to through aliases, its own or inherited from renamed parents.
    owner = {urn: r.urn for r in result.resources for urn in result.alias_urns(r)}
    for urn in sorted(pinned - index.keys()):
        if urn in owner:
            changes.renamed[urn] = owner[urn]
        else:
            changes.replaced.append(urn)
    changes.added = sorted(u for u in index.keys() - pinned if u not in changes.renamed.values())
    return changes


def snapshot_of(result: RunResult) -> list[str]:
    return sorted(r.urn for r in result.resources)


def write_snapshot(path: Path, stack: Stack, result: RunResult, root: Path = ROOT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "stack": stack.name,
        "stackFile": stack.stack_file.relative_to(root).as_posix(),
        "update": HOW_TO_UPDATE,
        "urns": snapshot_of(result),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")


def read_snapshot(path: Path) -> list[str]:
    urns: list[str] = json.loads(path.read_text())["urns"]
    return urns


# --- the committed stacks ------------------------------------------------------------------------


def test_every_committed_stack_is_covered() -> None:
    names = {s.name for s in committed_stacks()}
    assert {"dev", "prod"} <= names
    assert len(names) == len(committed_stacks()), "two committed stacks share a name"


@pytest.mark.parametrize("stack", committed_stacks(), ids=lambda s: s.name)
def test_urns_match_the_snapshot(stack: Stack) -> None:
    result = run_checked(stack.name, stack_file=stack.stack_file)
    if UPDATE:
        write_snapshot(stack.snapshot, stack, result)
    assert stack.snapshot.exists(), (
        f"{stack.stack_file.relative_to(ROOT)} has no URN snapshot {stack.snapshot.relative_to(ROOT)}; "
        f"create it (and only it) with: {new_stack_command(stack.name)}"
    )
    changes = compare(read_snapshot(stack.snapshot), result)
    assert not changes, changes.explain(stack.name)


def test_no_snapshot_outlives_its_stack() -> None:
    expected = {s.snapshot for s in committed_stacks()}
    stale = sorted(p.name for p in SNAPSHOTS.glob("urns-*.json") if p not in expected)
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / name).unlink()
        stale = []
    assert not stale, f"snapshots without a committed stack: {stale}; delete them or run: {HOW_TO_UPDATE}"


def test_snapshots_pin_every_resource_kind() -> None:
    urns = read_snapshot(SNAPSHOTS / "urns-dev.json")
    kinds = {urn.split("::")[2].rsplit("$", 1)[-1] for urn in urns}
    assert {"aiven:index/kafka:Kafka", "aiven:index/kafkaTopic:KafkaTopic", "aiven:index/kafkaMirrorMaker:KafkaMirrorMaker",
            "aiven:index/serviceIntegration:ServiceIntegration",
            "aiven:index/mirrorMakerReplicationFlow:MirrorMakerReplicationFlow",
            "aiven-kafka-replication:index:KafkaCluster"} <= kinds


# --- the check itself, on a small program renamed three ways --------------------------------------

PROGRAM = '''
import pulumi


class Cluster(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("aiven-kafka-replication:index:KafkaCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self{child_aliases})
        pulumi.CustomResource("aiven:index/kafka:Kafka", f"{{name}}-{child_suffix}", {{"plan": "business-4"}}, child)
        self.register_outputs({{}})


Cluster("{component}", pulumi.ResourceOptions({component_aliases}))
'''


OLD_COMPONENT = "urn:pulumi:test::probe::aiven-kafka-replication:index:KafkaCluster::source"
OLD_CHILD = "urn:pulumi:test::probe::aiven-kafka-replication:index:KafkaCluster$aiven:index/kafka:Kafka::source-kafka"


def _run(tmp_path: Path, version: str, **fields: str) -> RunResult:
    program = tmp_path / version
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (program / "Pulumi.test.yaml").write_text("config: {}\n")
    values = {"child_aliases": "", "child_suffix": "kafka", "component": "source", "component_aliases": ""} | fields
    (program / "__main__.py").write_text(PROGRAM.format(**values))
    return run_program("test", program)


def test_unchanged_program_matches(tmp_path: Path) -> None:
    before = snapshot_of(_run(tmp_path, "v1"))
    assert before == [OLD_CHILD, OLD_COMPONENT]
    assert not compare(before, _run(tmp_path, "v1-again"))


def test_rename_without_alias_is_a_destroy_and_recreate(tmp_path: Path) -> None:
    before = snapshot_of(_run(tmp_path, "v1"))
    changes = compare(before, _run(tmp_path, "v2", child_suffix="service"))
    assert changes.replaced == [OLD_CHILD]
    assert changes.added == [OLD_CHILD.replace("source-kafka", "source-service")]
    assert "DESTROY AND RECREATE" in changes.explain("test") and HOW_TO_UPDATE in changes.explain("test")


def test_rename_with_an_alias_is_recorded_and_safe(tmp_path: Path) -> None:
    before = snapshot_of(_run(tmp_path, "v1"))
    after = _run(tmp_path, "v2", child_suffix="service", child_aliases=', aliases=[pulumi.Alias(name=f"{name}-kafka")]')
    service = after.named("source-service")
    assert service.aliases, "the engine must record the alias the program declared"
    assert json.loads(service.aliases[0])["spec"]["name"] == "source-kafka"
    changes = compare(before, after)
    assert changes.renamed == {OLD_CHILD: service.urn}
    assert changes.replaced == [] and changes.added == []


def test_renamed_component_needs_aliases_on_the_children_whose_names_derive_from_it(tmp_path: Path) -> None:
    before = snapshot_of(_run(tmp_path, "v1"))
    # The component is aliased, but its child's name is built from the component's: a new URN.
    only_parent = _run(tmp_path, "v2", component="primary", component_aliases='aliases=[pulumi.Alias(name="source")]')
    changes = compare(before, only_parent)
    assert list(changes.renamed) == [OLD_COMPONENT]
    assert changes.replaced == [OLD_CHILD]
    both = _run(tmp_path, "v3", component="primary", component_aliases='aliases=[pulumi.Alias(name="source")]',
                child_aliases=', aliases=[pulumi.Alias(name="source-kafka")]')
    changes = compare(before, both)
    assert changes.replaced == [] and changes.added == [] and len(changes.renamed) == 2


def test_alias_by_urn_is_understood(tmp_path: Path) -> None:
    before = snapshot_of(_run(tmp_path, "v1"))
    after = _run(tmp_path, "v2", child_suffix="service", child_aliases=f", aliases=[{OLD_CHILD!r}]")
    assert compare(before, after).renamed == {OLD_CHILD: after.named("source-service").urn}


def test_update_path_writes_what_the_check_accepts(tmp_path: Path) -> None:
    result = _run(tmp_path, "v1")
    stack = Stack("test", tmp_path / "v1" / "Pulumi.test.yaml", tmp_path / "snapshots" / "urns-test.json")
    write_snapshot(stack.snapshot, stack, result, root=tmp_path)
    doc = json.loads(stack.snapshot.read_text())
    assert doc["stackFile"] == "v1/Pulumi.test.yaml" and doc["update"] == HOW_TO_UPDATE
    assert not compare(read_snapshot(stack.snapshot), result)
