"""The docs' examples of errors and warnings, printed by `python -m replication plan` itself.

Each example is a committed stack file with a few values changed. It is planned offline, as a user
would plan it, and the lines the command prints are the example: an error stops the plan (exit 2,
one line each on stderr), a warning is one of the plan's diagnostics. So an example cannot show a
message the tool no longer prints, and a change of wording shows up as a stale doc.
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from replication import cli, config_keys, escape
from replication.args import ReplicationArgs
from replication.components.replication import InvalidArgs, load
from replication.config import NAMESPACE

ROOT = Path(__file__).resolve().parent.parent


#: An edit's value that removes the key.
DELETE: Any = object()


@dataclass(frozen=True)
class Case:
    """A committed stack file with some values changed, planned as `python -m replication plan` does."""

    stack_file: str
    """The stack file, relative to the repository root."""
    edits: dict[str, Any] = field(default_factory=dict)
    """Key path in the namespace (`clusters.source.kafkaVersion`, `flows.0.target`) -> new value, or
    :data:`DELETE`. Paths are split at dots: a key with a dot in it cannot be edited. Without edits
    the file is planned byte for byte."""
    keep: str = ""
    """Show only the printed lines that contain this."""


def _edit(config: dict[str, Any], path: str, value: Any) -> None:
    top, *rest = path.split(".")
    parent: Any = config
    key: Any = f"{NAMESPACE}:{top}"
    for part in rest:
        parent = parent[key]
        key = int(part) if isinstance(parent, list) else part
    if value is DELETE:
        del parent[key]
    elif isinstance(parent, list) and key == len(parent):
        parent.append(value)
    else:
        parent[key] = value


def _edited(case: Case) -> dict[str, Any]:
    """The case's stack file, parsed, with its edits made."""
    doc: dict[str, Any] = yaml.safe_load((ROOT / case.stack_file).read_text())
    config = copy.deepcopy(doc["config"])
    for path, value in case.edits.items():
        try:
            _edit(config, path, value)
        except (KeyError, IndexError, TypeError) as missing:
            raise ValueError(f"{case.stack_file} has no {path!r} to edit ({missing!r})") from None
    return {**doc, "config": config}


def lines(case: Case) -> list[str]:
    """What planning the case prints: its error lines, or its warnings; only those with `keep`."""
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        edited = Path(tmp) / Path(case.stack_file).name
        if case.edits:
            edited.write_text(yaml.safe_dump(_edited(case), sort_keys=False))
        else:  # byte for byte: the file may be one the reader refuses (tests/hostile/)
            edited.write_bytes((ROOT / case.stack_file).read_bytes())
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["plan", "--stack", "dev", "--config", str(edited), "--dir", str(ROOT)])
    if code == 2:
        printed = err.getvalue().splitlines()
    elif code == 0:
        printed = [line.strip() for line in out.getvalue().splitlines() if line.startswith("    warning: ")]
    else:
        raise ValueError(f"planning {case.stack_file} with {case.edits} exits {code}:\n{err.getvalue()}")
    return [line for line in printed if case.keep in line]


def component_error(case: Case) -> str:
    """The error the public component raises for the case's config as its Args (what a program in
    any language gets from the package), as a fenced text block."""
    prefix = f"{NAMESPACE}:"
    raw = {k.removeprefix(prefix): v for k, v in _edited(case)["config"].items() if k.startswith(prefix)}
    try:
        load(cast(ReplicationArgs, config_keys.to_args(raw)))
    except InvalidArgs as err:
        return escape.fence(str(err) + "\n", "text") + "\n"
    raise ValueError(f"the component accepts {case.stack_file} with {case.edits}")


def block(*cases: Case) -> str:
    """The lines of every case, in order, as one fenced text block."""
    shown = [line for case in cases for line in lines(case)]
    if not shown:
        raise ValueError(f"the example prints nothing: {cases}")
    return escape.fence("\n".join(shown) + "\n", "text") + "\n"


def table(rows: tuple[tuple[str, Case], ...], width: int = 180) -> str:
    """A table of one-line errors: what each case shows, and its message (shortened to `width`)."""
    out = ["| error | example message |", "| --- | --- |"]
    for what, case in rows:
        printed = lines(case)
        if len(printed) != 1 or not printed[0].startswith("error: "):
            raise ValueError(f"{what}: expected one error line, got {printed}")
        message = printed[0].split(": ", 2)[2]  # without `error: <file>: `
        shown = escape.code(textwrap.shorten(message, width, placeholder=" …"))
        out.append(f"| {escape.cell(what)} | {escape.cell(shown)} |")  # `what` is our own markdown
    return "\n".join(out) + "\n"


DEV = "Pulumi.dev.yaml"

#: Every example in docs/, by generated block name (replication.docgen places them).
EXAMPLES: dict[str, tuple[Case, ...]] = {
    "bad-input": (
        Case(DEV, {"flows": DELETE, "flow": [{"source": "source", "target": "target"}]}),
        Case(DEV, {"clusters.target.kafka.logRetentionBytes": "lots"}),
        Case(DEV, {"clusters.source.topics.orders/eu": {"partitions": 3, "replication": 2}}),
        Case(DEV, {"flows.0.target": "source"}),
        Case(DEV, {"mirrormakers.mm.serviceName": "target"}),
        Case(DEV, {"flows.0.topics.0": r"(?P<region>eu|us)\..*"}),
    ),
    "file-errors": (
        Case("tests/hostile/billion-laughs.yaml"),
        Case("tests/hostile/tab-indent.yaml"),
        Case("tests/hostile/duplicate-key.yaml"),
    ),
    "aiven-bounds-errors": (
        Case(DEV, {"mirrormakers.mm.kafkaMirrormaker.refreshTopicsIntervalSeconds": -5,
                   "clusters.source.kafkaVersion": "2.8"}),
    ),
    "aiven-deprecated-warning": (Case(DEV, keep="deprecated by Aiven"),),
    "topic-bounds-errors": (
        Case(DEV, {"clusters.source.topics.orders": {
            "partitions": 3, "replication": 2, "config": {"retentionMs": "-2", "maxMessageBytes": "3000000000"}}}),
    ),
    "protect-errors": (Case(DEV, {"protect": True}, keep="ipFilter"),),
    "write-on-copy": (
        Case("examples/active-active.yaml",
             {"users.app": {"permissions": [{"permission": "read", "topics": ["orders"], "clusters": ["eu"]},
                                            {"permission": "readwrite", "topics": ["*"], "clusters": ["us"]}]}}),
    ),
}

#: Tables of examples, by generated block name: what each row shows, and the case that prints it.
TABLES: dict[str, tuple[tuple[str, Case], ...]] = {
    "topology-errors": (
        ("a cycle of identity-policy flows",
         Case(DEV, {"flows.0.replicationPolicy": "identity", "flows.1": {
             "source": "target", "target": "source", "mirrormaker": "mm", "replicationPolicy": "identity"}})),
        ("two flows writing one topic name into a cluster",
         Case("examples/fan-in.yaml",
              {"flows.0.replicationPolicy": "identity", "flows.1.replicationPolicy": "identity"})),
        ("a replicated topic colliding with a declared one",
         Case(DEV, {"flows.0.replicationPolicy": "identity",
                    "clusters.target.topics.topic-a": {"partitions": 3, "replication": 2}})),
        ("a mixed loop whose names grow without end",
         Case(DEV, {"flows.0.replicationPolicy": "identity",
                    "flows.1": {"source": "target", "target": "source", "mirrormaker": "mm"}})),
        ("a remote name longer than Kafka's 249 characters",
         Case(DEV, {"clusters.source.topics." + "t" * 243: {"partitions": 3, "replication": 2}})),
        ("names one cluster would hold that differ only in `.` against `_` (Kafka's collision rule)",
         Case(DEV, {"clusters.target.topics.source_topic-a": {"partitions": 3, "replication": 2}})),
    ),
}

#: Errors of the public component, by generated block name: the config sent as its Args.
COMPONENT_EXAMPLES: dict[str, Case] = {"component-error": Case(DEV, {"flows.0.target": "tagret"})}
