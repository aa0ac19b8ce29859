"""The plan document: what one offline run of the program declares, as plain data.

It is the contract between base and head in `diff`: the base may be planned by another version of
this code, in a subprocess (`replication.base`), so the document carries a format :data:`VERSION`
and the diff refuses a base whose format differs instead of reporting the difference as changes.
This module owns the document and what it is made of: the registration and run-result types the
engine records, the masking of secrets and unknowns, and the resource type names.

No Pulumi imports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Format of :func:`plan_document`. A document without `version` is version 1 (the format before
#: it carried one, which version 1 only adds the field to).
VERSION = 1

MASK = "[secret]"
UNKNOWN = "[unknown]"

# Resource type names.
STACK_TYPE = "pulumi:pulumi:Stack"
KAFKA = "aiven:index/kafka:Kafka"
TOPIC = "aiven:index/kafkaTopic:KafkaTopic"
MIRRORMAKER = "aiven:index/kafkaMirrorMaker:KafkaMirrorMaker"
INTEGRATION = "aiven:index/serviceIntegration:ServiceIntegration"
ENDPOINT = "aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint"
FLOW = "aiven:index/mirrorMakerReplicationFlow:MirrorMakerReplicationFlow"
USER = "aiven:index/kafkaUser:KafkaUser"
ACL = "aiven:index/kafkaAcl:KafkaAcl"


@dataclass(frozen=True)
class Secret:
    """A value the engine holds as a secret. It never prints its content."""

    value: Any

    def __repr__(self) -> str:
        return "[secret]"


class Unknown:
    """A value only known after `up` (unknown during preview)."""

    def __repr__(self) -> str:
        return "[unknown]"


@dataclass(frozen=True)
class Registration:
    """One resource the program registered, with what `pulumi preview` would see of it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: Mapping[str, Any]
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    protect: bool
    delete_before_replace: bool
    import_id: str | None
    aliases: tuple[str, ...]
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]

    @property
    def is_aiven(self) -> bool:
        """Whether the provider (not a component) manages it."""
        return self.custom and self.type.startswith("aiven:")


@dataclass
class RunResult:
    """Everything a program run registered, in registration order, and its stack outputs."""

    project: str
    stack: str
    resources: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    _graph_cache: tuple[int, dict[str, Registration], dict[str, list[str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _answers_cache: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def by_urn(self) -> dict[str, Registration]:
        """Registrations keyed by URN."""
        return {r.urn: r for r in self.resources}

    def of_type(self, token: str) -> list[Registration]:
        """Registrations of one type token."""
        return [r for r in self.resources if r.type == token]

    def named(self, name: str) -> Registration:
        """The registration with this logical name."""
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}")
        return found[0]

    def _graph(self) -> tuple[dict[str, Registration], dict[str, list[str]]]:
        # Callers ask for every resource's dependencies in turn: build the index once per
        # registration count (resources are only ever appended), not once per call.
        if self._graph_cache is None or self._graph_cache[0] != len(self.resources):
            children: dict[str, list[str]] = {}
            for r in self.resources:
                if r.parent:
                    children.setdefault(r.parent, []).append(r.urn)
            self._graph_cache = (len(self.resources), self.by_urn(), children)
            self._answers_cache = {}
        return self._graph_cache[1], self._graph_cache[2]

    def custom_dependencies(self, reg: Registration) -> set[str]:
        """URNs of custom resources that `reg` waits for (component dependencies expanded)."""
        index, children = self._graph()
        direct = set(reg.dependencies) | {u for deps in reg.property_dependencies.values() for u in deps}
        out: set[str] = set()
        todo = list(direct)
        while todo:
            urn = todo.pop()
            dep = index.get(urn)
            if dep is None:
                continue
            if dep.custom:
                out.add(urn)
            else:  # depending on a component means waiting for all of its children
                todo.extend(children.get(urn, []))
        return out

    def alias_urns(self, reg: Registration) -> set[str]:
        """The URNs other than its own that the engine would match `reg`'s state under: its alias
        URNs, its alias specs resolved, and its own name under each URN its parent answers to (a
        child of a renamed, aliased parent inherits the parent's aliases)."""
        return set(self._answers_to(reg)) - {reg.urn}

    def _answers_to(self, reg: Registration) -> frozenset[str]:
        index, _ = self._graph()
        cached = self._answers_cache.get(reg.urn)
        if cached is not None:
            return cached
        head, project = reg.urn.split("::")[:2]
        stack = head.removeprefix("urn:pulumi:")
        parents: set[str | None] = {reg.parent}
        if reg.parent is not None and reg.parent in index:
            parents |= self._answers_to(index[reg.parent])
        urns = {make_urn(stack, project, parent, reg.type, reg.name) for parent in parents}
        for alias in reg.aliases:
            # The engine records alias URNs as plain strings and alias specs as their JSON.
            if not alias.startswith("{"):
                urns.add(alias)
                continue
            doc = json.loads(alias)
            if "urn" in doc:
                urns.add(doc["urn"])
                continue
            spec = doc.get("spec", {})
            # Unset fields default to the resource's own values, as in the engine.
            if spec.get("noParent"):
                spec_parents: set[str | None] = {None}
            elif spec.get("parentUrn"):
                spec_parents = {spec["parentUrn"]}
            else:
                spec_parents = parents
            urns.update(
                make_urn(spec.get("stack") or stack, spec.get("project") or project, parent,
                         spec.get("type") or reg.type, spec.get("name") or reg.name)
                for parent in spec_parents
            )
        answers = self._answers_cache[reg.urn] = frozenset(urns)
        return answers

    def waves(self) -> dict[str, int]:
        """Provisioning wave of each custom resource: 1 + the longest chain of custom dependencies."""
        order = [r for r in self.resources if r.custom]
        deps = {r.urn: self.custom_dependencies(r) for r in order}
        wave: dict[str, int] = {}
        # Registration order is a topological order: a dependency is registered before its dependents.
        for r in order:
            wave[r.urn] = 1 + max((wave.get(d, 0) for d in deps[r.urn]), default=0)
        return wave


def make_urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    """A resource's URN as the Pulumi engine builds it: qualified by its parent's full type, except
    the root stack's. Name, type and parent type are all of it, so renaming any of them is a new URN."""
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != "pulumi:pulumi:Stack":
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"



def masked(value: Any) -> Any:
    """A copy of `value` with every secret replaced by `[secret]` and unknowns by `[unknown]`."""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v) for v in value]
    return value


def diagnostics(result: RunResult) -> list[str]:
    """The warnings and errors the run logged."""
    return [message for level, message in result.logs if level in ("warning", "error")]


def plan_document(result: RunResult) -> dict[str, Any]:
    """The plan as plain data, secrets masked, in a stable order (for JSON and for diffs)."""
    return {
        "version": VERSION,
        "project": result.project,
        "stack": result.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "inputs": masked(dict(r.inputs)),
                "dependencies": sorted(result.custom_dependencies(r)) if r.custom else [],
                "protect": r.protect,
                "deleteBeforeReplace": r.delete_before_replace,
                "importId": r.import_id,
                # Other URNs the engine would match its state under: `diff` follows renames by them.
                "aliases": sorted(result.alias_urns(r)),
            }
            for r in sorted(result.resources, key=lambda r: r.urn)
        ],
        "outputs": masked(result.outputs),
        "waves": max(result.waves().values(), default=0),
        "diagnostics": diagnostics(result),
    }


def version_problem(document: Mapping[str, Any]) -> str | None:
    """Why a plan document cannot be compared with this code's, or None when it can."""
    version = document.get("version", 1)
    if version == VERSION:
        return None
    return (
        f"its plan document has format version {version!r} and this code writes version {VERSION}, "
        "so their differences would not be changes: diff against a ref whose code writes the same "
        "format, or give the base's stack file with --base-config to plan it with this code"
    )
