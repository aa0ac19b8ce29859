"""The key tables of the configuration reference, written from the stack config model.

Each row is one field of a model in :mod:`replication.config`: its key (the camelCase name of the
stack file), its default (``required``, ``—`` when omitting it means what the text says, or the
value the model fills in) and its meaning (the field's docstring, which also describes it in the
JSON Schema, the package schema and the component's Args). :data:`TABLES` names every table the
docs show; together they cover every field of every config model, and a test keeps it so.

No Pulumi imports: text from the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic.fields import FieldInfo

from replication import config, escape
from replication.config_keys import config_model, unwrap


@dataclass(frozen=True)
class Table:
    """A key table of one config model."""

    model: type[config.Model]
    """The model whose fields are the rows."""
    prefix: str = ""
    """Written before every key, for a model nested in the one its section is about (`external.`)."""
    expand: tuple[str, ...] | None = ()
    """Keys whose sub-model's fields get rows of their own, after the key's own row; None for all."""


#: Every key table in docs/, by generated block name (the registry in replication.docgen places them).
TABLES: dict[str, Table] = {
    "stack-keys": Table(config.StackConfig),
    "cluster-keys": Table(config.ClusterSpec, expand=("maintenanceWindow", "tieredStorage", "topics")),
    "external-keys": Table(config.ExternalKafkaSpec, prefix="external."),
    "mirrormaker-keys": Table(config.MirrorMakerSpec, expand=("maintenanceWindow",)),
    "flow-keys": Table(config.FlowSpec),
    "adopt-keys": Table(config.AdoptSpec),
    "user-keys": Table(config.UserSpec, expand=("permissions",)),
    "monitoring-keys": Table(config.MonitoringSpec, expand=("prometheus", "datadog", "existingEndpoint")),
}


def default(info: FieldInfo) -> str:
    """The default column: `required`, `—` (no value is filled in) or the value as YAML writes it."""
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "—"
    # JSON is YAML: `[".*"]`, `60`, `true`, `"default"` are what the stack file would say.
    return escape.code(json.dumps(value, ensure_ascii=False))


def meaning(info: FieldInfo) -> str:
    """The field's docstring as one line (the model refuses a field without one: see the tests)."""
    return " ".join((info.description or "").split())


def _nested(kind: Any) -> tuple[str, tuple[str | int, ...], type[config.Model]] | None:
    """How keys of a field's sub-model are written after the field's own key, the part of a
    location that stands for a list item or mapping key, and the sub-model."""
    model = config_model(kind)
    if model is not None:
        return ".", (), model
    kind = unwrap(kind)
    args = get_args(kind)
    if get_origin(kind) is list and (model := config_model(args[0])) is not None:
        return "[].", (0,), model
    if get_origin(kind) is dict and (model := config_model(args[1])) is not None:
        return ".<name>.", ("<name>",), model
    return None


@dataclass(frozen=True)
class Row:
    """One row of a key table: a field of a model, under the key the table writes."""

    key: str
    model: type[config.Model]
    name: str
    info: FieldInfo
    loc: tuple[str | int, ...]
    """Where the field is in the stack config, as :func:`replication.config.names_a_credential` takes it."""


def rows(table: Table) -> list[Row]:
    """The rows of a table, in the model's order, each expanded key followed by its sub-model's."""
    out: list[Row] = []

    def visit(model: type[config.Model], prefix: str, loc: tuple[str | int, ...]) -> None:
        for name, info in model.model_fields.items():
            key = info.alias or name
            out.append(Row(prefix + key, model, name, info, (*loc, key)))
            nested = _nested(info.annotation)
            if nested is not None and (table.expand is None or key in table.expand):
                separator, item, sub = nested
                visit(sub, prefix + key + separator, (*loc, key, *item))

    visit(table.model, table.prefix, ())
    return out


def markdown(table: Table) -> str:
    """The table as GFM: key, default, meaning."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| {escape.cell(escape.code(r.key))} | {escape.cell(default(r.info))} | {escape.cell(meaning(r.info))} |"
              for r in rows(table)]
    return "\n".join(lines) + "\n"


def credential_table() -> str:
    """Every key whose value names a `credentials` entry, under its whole path, with its meaning."""
    names = [r for r in rows(Table(config.StackConfig, expand=None))
             # `credentials` itself holds the secrets (its keys are the names).
             if r.loc != ("credentials",) and config.names_a_credential(r.loc)]
    lines = ["| key | meaning |", "| --- | --- |"]
    lines += [f"| {escape.cell(escape.code(r.key))} | {escape.cell(meaning(r.info))} |" for r in names]
    return "\n".join(lines) + "\n"


def documented() -> set[tuple[type[config.Model], str]]:
    """(model, field name) of every row of every table in :data:`TABLES`."""
    return {(r.model, r.name) for table in TABLES.values() for r in rows(table)}
