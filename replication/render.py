"""Render an offline plan for people (a tree like `pulumi preview`) and for tools (stable JSON).

Secrets are masked in every format: rendering goes through :func:`replication.plandoc.masked`,
which replaces every :class:`~replication.plandoc.Secret` with `[secret]` before anything is
formatted. Every line of the text is one line for a terminal (:func:`escape.line`); JSON escapes
what it cannot carry itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from replication.engine import Registration, RunResult
from replication.escape import line
from replication.plandoc import MASK as MASK
from replication.plandoc import STACK_TYPE, diagnostics
from replication.plandoc import masked as masked
from replication.plandoc import plan_document as plan_document


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf key paths of a nested input value, sorted: `kafkaUserConfig.kafka.logRetentionBytes`."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from flatten(value[key], f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _children(result: RunResult) -> dict[str | None, list[Registration]]:
    kids: dict[str | None, list[Registration]] = {}
    known = {r.urn for r in result.resources}
    for r in result.resources:
        parent = r.parent if r.parent in known else None
        kids.setdefault(parent, []).append(r)
    return kids


def _options(r: Registration) -> str:
    flags = [
        label
        for label, on in (
            ("protect", r.protect),
            ("deleteBeforeReplace", r.delete_before_replace),
            (f"import={r.import_id}", r.import_id is not None),
            ("retainOnDelete", r.retain_on_delete),
        )
        if on
    ]
    return f"  [{', '.join(flags)}]" if flags else ""


def text(result: RunResult) -> str:
    """The plan as a tree of resources with their key inputs, like `pulumi preview --diff`."""
    lines = [
        f"Previewing update ({result.stack}) of {result.project}, offline: mock engine, no credentials, no API calls",
        "",
        f"     {'Type':<76} {'Name':<32} Plan",
        f" +   {STACK_TYPE:<76} {result.project + '-' + result.stack:<32} create",
    ]
    kids = _children(result)

    def walk(parent: str | None, indent: str) -> None:
        items = kids.get(parent, [])
        for i, r in enumerate(items):
            last = i == len(items) - 1
            branch = "└─ " if last else "├─ "
            label = f"{indent}{branch}{r.type}"
            # Adopt mode: `pulumi preview` shows an imported resource as `= import`, not a create.
            mark, op = ("=", "import") if r.import_id else ("+", "create")
            lines.append(f" {mark}   {label:<76} {r.name:<32} {op}{_options(r)}")
            if r.custom:
                pad = indent + ("   " if last else "│  ")
                for key, value in flatten(masked(dict(r.inputs))):
                    lines.append(f"     {pad}    {key}: {_scalar(value)}")
            walk(r.urn, indent + ("   " if last else "│  "))

    walk(None, "")
    custom = [r for r in result.resources if r.custom and not r.import_id]
    imported = [r for r in result.resources if r.import_id]
    lines += ["", "Outputs:"]
    for key, value in sorted(masked(result.outputs).items()):
        lines.append(f"    {key}: {json.dumps(value, sort_keys=True)}")
    topics = result.outputs.get("expectedTopics")
    if isinstance(topics, dict):
        lines += ["", "Expected topics once replication has settled:"]
        for alias in sorted(topics):
            lines.append(f"    {alias}: {', '.join(topics[alias]) or '(none)'}")
    warnings = diagnostics(result)
    if warnings:
        lines += ["", "Diagnostics:"] + [f"    warning: {w}" for w in warnings]
    lines += [
        "",
        "Resources:",
        f"    + {len(result.resources) - len(imported) + 1} to create "
        f"({len(custom)} Aiven resources, {len(result.resources) - len(custom) - len(imported)} components, 1 stack)",
    ]
    if imported:
        lines.append(f"    = {len(imported)} to import")
    return "\n".join(map(line, lines)) + "\n"


def json_text(result: RunResult) -> str:
    """The plan as sorted, indented JSON."""
    return json.dumps(plan_document(result), indent=2, sort_keys=True) + "\n"
