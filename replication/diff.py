"""What a change would do to a stack: plan it at a git ref and in the working tree, compare.

Resources are matched by URN, and through Pulumi `aliases`: a working-tree resource that answers to
a base URN no longer in the plan is that resource, renamed, as the engine sees it (it moves the
state, it does not destroy anything). Each one that differs is a create, an update (with the inputs
that changed), a replace (a changed input is one the provider cannot update in place, per the
contract's `willReplaceOnChanges` flags, see :func:`provider_schema.replace_on_changes`) or a
delete. What a change does to records and consumers is judged by the rule table of
:mod:`replication.diff_rules` (data loss, replication that stops, what cannot be applied, …),
because a flat resource list hides that a one-line config edit deletes records.

Both sides are plan documents (:func:`plandoc.plan_document`), secrets masked; where the base comes
from and which code plans it is :mod:`replication.base`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from replication import acceptance, provider_schema, rename_advice, render
from replication.diff_rules import Finding, failing_classes, judge
from replication.diff_rules import value_text as value_text
from replication.escape import line

# The resource type names are the plan document's; re-exported for the renderers.
from replication.plandoc import ACL as ACL
from replication.plandoc import ENDPOINT as ENDPOINT
from replication.plandoc import FLOW as FLOW
from replication.plandoc import INTEGRATION as INTEGRATION
from replication.plandoc import KAFKA as KAFKA
from replication.plandoc import MIRRORMAKER as MIRRORMAKER
from replication.plandoc import TOPIC as TOPIC
from replication.plandoc import USER as USER

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class InputChange:
    """One changed leaf input of a resource."""

    path: str
    """Key path, e.g. `kafkaUserConfig.kafka.logRetentionBytes`."""
    before: Any
    """Value at the base (None when absent)."""
    after: Any
    """Value in the working tree (None when absent)."""
    replaces: bool
    """Whether changing it destroys and recreates the resource."""


@dataclass(frozen=True)
class Change:
    """A resource that differs between base and working tree."""

    urn: str
    type: str
    name: str
    action: Action
    inputs: tuple[InputChange, ...] = ()
    """Changed inputs (updates and replaces)."""
    options: tuple[str, ...] = ()
    """Changed resource options, e.g. `protect: false → true`."""
    before: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The base's plan-document resource (empty for a create)."""
    after: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The working tree's plan-document resource (empty for a delete)."""
    renamed_from: str | None = None
    """The base URN this resource had, when it is renamed through an alias (`urn` is the new one)."""

    @property
    def kind(self) -> str:
        """The short type name: `Kafka`, `KafkaTopic`, …"""
        return self.type.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class TopicMapChange:
    """Predicted topics a cluster gains or loses once replication has settled."""

    alias: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Diff:
    """The comparison of two plans of one stack."""

    stack: str
    base_ref: str
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    topic_map: tuple[TopicMapChange, ...]
    unchanged: int
    """Aiven resources present and identical on both sides."""
    base_missing: bool = False
    """The stack had no config at the base ref: everything is created."""
    warnings: tuple[str, ...] = ()
    """The working tree's plan diagnostics, as `plan` shows them: config warnings and the policy
    pack's warnings (its errors stop the diff before any comparison)."""
    accepted: frozenset[str] = frozenset()
    """Ids of findings accepted on purpose (`--accept`, :mod:`replication.acceptance`): still listed,
    marked accepted, and they do not fail the command."""

    def finding_id(self, finding: Finding) -> str:
        """The finding's id, `<stack>/<rule>/<name>[/<path>]`."""
        return acceptance.finding_id(self.stack, finding)

    def is_accepted(self, finding: Finding) -> bool:
        """Whether the finding is accepted on purpose."""
        return self.finding_id(finding) in self.accepted

    def count(self, action: Action) -> int:
        """How many resources take this action."""
        return sum(1 for c in self.changes if c.action == action)

    @property
    def renamed(self) -> int:
        """How many resources are renamed through aliases (each also counts as its update or replace)."""
        return sum(1 for c in self.changes if c.renamed_from)

    def failing(self, fail_on_data_loss: bool) -> list[Finding]:
        """The findings that make the command fail: `cannot-apply` always, the rest of
        :func:`diff_rules.failing_classes` only when asked."""
        classes = failing_classes(fail_on_data_loss)
        return [f for f in self.findings if f.cls in classes and not self.is_accepted(f)]


# --- comparing two plan documents -------------------------------------------------------------


def _custom(doc: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if doc is None:
        return {}
    return {r["urn"]: r for r in doc["resources"] if r["custom"]}


def _top_key(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def input_changes(type_: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[InputChange, ...]:
    """Changed leaf inputs, sorted by path, each marked whether it forces a replacement."""
    old = dict(render.flatten(dict(before)))
    new = dict(render.flatten(dict(after)))
    replacing = provider_schema.replace_on_changes(type_)
    return tuple(
        InputChange(path, old.get(path), new.get(path), _top_key(path) in replacing)
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path)
    )


def _option_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{key}: {json.dumps(before.get(key))} → {json.dumps(after.get(key))}"
        for key in ("protect", "deleteBeforeReplace", "importId")
        if before.get(key) != after.get(key)
    )


def renames(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Base URN → working-tree URN of each resource renamed through an alias.

    Like the engine: a resource whose own URN is in the base keeps that state; otherwise it takes
    the first of its aliases that is a base URN nothing in the working tree holds any more, and
    claims it (an old state moves to one resource only).
    """
    moved: dict[str, str] = {}
    for urn in sorted(new.keys() - old.keys()):
        # Base documents planned by older code have no `aliases`: nothing can be followed there.
        for alias in new[urn].get("aliases", ()):
            if alias in old and alias not in new and alias not in moved:
                moved[alias] = urn
                break
    return moved


def compare(base: Mapping[str, Any] | None, head: Mapping[str, Any], base_ref: str = "base") -> Diff:
    """Classify every Aiven resource of two plan documents; `base` None means an empty stack."""
    old, new = _custom(base), _custom(head)
    origin = {urn: alias for alias, urn in renames(old, new).items()}
    changes: list[Change] = []
    unchanged = 0
    for urn in sorted((old.keys() - origin.values()) | new.keys()):
        before, after = old.get(origin.get(urn, urn)), new.get(urn)
        if before is None and after is not None:
            changes.append(Change(urn, after["type"], after["name"], "create", after=after))
        elif after is None and before is not None:
            changes.append(Change(urn, before["type"], before["name"], "delete", before=before))
        elif before is not None and after is not None:
            inputs = input_changes(after["type"], before["inputs"], after["inputs"])
            options = _option_changes(before, after)
            if not inputs and not options and urn not in origin:
                unchanged += 1
                continue
            # A rename alone moves the state: an update to Pulumi. Inputs alone decide a replace.
            action: Action = "replace" if any(i.replaces for i in inputs) else "update"
            changes.append(
                Change(urn, after["type"], after["name"], action, inputs, options, before, after, origin.get(urn))
            )
    fixes = rename_advice.advice(changes)
    found = tuple(replace(f, message=f"{f.message} {fixes[f.name]}") if f.name in fixes else f
                  for f in judge(base, head, changes))
    return Diff(
        stack=str(head["stack"]),
        base_ref=base_ref,
        changes=tuple(changes),
        findings=found,
        topic_map=topic_map_changes(base, head),
        unchanged=unchanged,
        base_missing=base is None,
        warnings=tuple(str(w) for w in head.get("diagnostics") or ()),
    )


def topic_map_changes(base: Mapping[str, Any] | None, head: Mapping[str, Any]) -> tuple[TopicMapChange, ...]:
    """Per cluster, the predicted topics (the `expectedTopics` output) gained and lost."""

    def topics(doc: Mapping[str, Any] | None) -> dict[str, set[str]]:
        expected = (doc or {}).get("outputs", {}).get("expectedTopics")
        return {alias: set(names) for alias, names in expected.items()} if isinstance(expected, dict) else {}

    old, new = topics(base), topics(head)
    out = []
    for alias in sorted(set(old) | set(new)):
        added = tuple(sorted(new.get(alias, set()) - old.get(alias, set())))
        removed = tuple(sorted(old.get(alias, set()) - new.get(alias, set())))
        if added or removed:
            out.append(TopicMapChange(alias, added, removed))
    return tuple(out)


# --- output ------------------------------------------------------------------------------------

_SYMBOL: dict[Action, str] = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


def symbol(action: Action) -> str:
    """Pulumi's preview symbol for an action."""
    return _SYMBOL[action]


def summary_line(diff: Diff) -> str:
    """`1 to create, 2 to replace, 5 unchanged`."""
    parts = [f"{diff.count(a)} to {a}" for a in ACTIONS if diff.count(a)]
    if diff.renamed:
        parts.append(f"{diff.renamed} renamed through aliases")
    return ", ".join([*parts, f"{diff.unchanged} unchanged"])


def rename(change: Change) -> tuple[str, str] | None:
    """(old, new) of a resource renamed through an alias: its names, or its URNs when the name is
    the same (moved to another parent); None when it is not renamed."""
    if change.renamed_from is None:
        return None
    old_name = str(change.before.get("name") or change.renamed_from.rsplit("::", 1)[-1])
    return (old_name, change.name) if old_name != change.name else (change.renamed_from, change.urn)


def document(diff: Diff) -> dict[str, Any]:
    """The diff as plain, sorted data."""
    return {
        "stack": diff.stack,
        "base": diff.base_ref,
        "baseMissing": diff.base_missing,
        "summary": {a: diff.count(a) for a in ACTIONS} | {"unchanged": diff.unchanged},
        "changes": [
            {
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "action": c.action,
                "inputs": [
                    {"path": i.path, "before": i.before, "after": i.after, "replaces": i.replaces} for i in c.inputs
                ],
                "options": list(c.options),
                "renamedFrom": c.renamed_from,
            }
            for c in diff.changes
        ],
        "findings": [
            {"id": diff.finding_id(f), "accepted": diff.is_accepted(f),
             "class": f.cls, "rule": f.rule, "name": f.name, "path": f.path, "before": f.before, "after": f.after,
             "message": f.message}
            for f in diff.findings
        ],
        "topicMap": [{"alias": t.alias, "added": list(t.added), "removed": list(t.removed)} for t in diff.topic_map],
        "diagnostics": list(diff.warnings),
    }


def json_text(diff: Diff) -> str:
    """The diff as sorted, indented JSON."""
    # ASCII only: JSON's escapes also cover C1 controls and bidirectional overrides, on a terminal too.
    return json.dumps(document(diff), indent=2, sort_keys=True) + "\n"


def text(diff: Diff) -> str:
    """The diff for a terminal, like `pulumi preview --diff`, findings first."""
    lines = [f"Diff of stack {diff.stack}: {diff.base_ref} → working tree (offline, no credentials)", ""]
    if diff.base_missing:
        lines += [f"The stack has no config at {diff.base_ref}: everything is new.", ""]
    if diff.findings:
        lines.append("Findings:")
        for f in diff.findings:
            lines += [f"    {f.cls}{' (accepted)' if diff.is_accepted(f) else ''}: {f.message}",
                      f"        id: {diff.finding_id(f)}"]
        lines.append("")
    if diff.warnings:
        lines.append("Diagnostics of the working tree:")
        lines += [f"    warning: {w}" for w in diff.warnings]
        lines.append("")
    for c in diff.changes:
        lines.append(f" {symbol(c.action):<3}{c.kind:<30} {c.name:<40} {c.action}")
        renamed = rename(c)
        if renamed:
            kept = "; the state moves, nothing is deleted" if c.action == "update" else ""
            lines.append(f"        renamed through an alias: {renamed[0]} → {renamed[1]}{kept}")
        for i in c.inputs:
            flag = "  (forces replacement)" if i.replaces else ""
            lines.append(f"        {i.path}: {value_text(i.before)} → {value_text(i.after)}{flag}")
        lines += [f"        [option] {o}" for o in c.options]
    if diff.topic_map:
        lines += ["", "Expected topics:"]
        for t in diff.topic_map:
            lines += [f"    {t.alias}: + {name}" for name in t.added]
            lines += [f"    {t.alias}: - {name}" for name in t.removed]
    lines += ["", f"Resources: {summary_line(diff)}"]
    return "\n".join(map(line, lines)) + "\n"
