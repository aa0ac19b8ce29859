"""Command line: `python -m replication plan --stack dev`.

Runs the real program offline under the mock engine and prints what `pulumi preview` would
create. Exit codes: 0 ok, 2 invalid config or topology (the message says which key and value).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from replication import config, engine, render

FORMATS = {"text": render.text, "json": render.json_text}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m replication", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="plan a stack offline and print the resources it declares")
    plan.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    plan.add_argument("--config", type=Path, help="a stack config file to use instead of Pulumi.<stack>.yaml")
    plan.add_argument("--format", choices=sorted(FORMATS), default="text")
    plan.add_argument("--dir", type=Path, default=engine.PROJECT_ROOT, help="the Pulumi project directory")
    sub.add_parser("schema", help="print the JSON Schema of the stack config namespace")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(schema_text())
        return 0
    try:
        result = engine.run_program(args.stack, args.dir, stack_file=args.config)
    except engine.ProgramError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(FORMATS[args.format](result))
    return 0


def schema_text() -> str:
    """The stack-file JSON Schema: `config:` holds the namespace's keys, prefixed."""
    inner = config.json_schema()
    defs = inner.pop("$defs", {})
    properties = {f"{config.NAMESPACE}:{k}": v for k, v in inner["properties"].items()}
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Pulumi stack config of aiven-kafka-replication",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": [f"{config.NAMESPACE}:{k}" for k in inner.get("required", [])],
                # Other namespaces (aiven:apiToken, pulumi:tags) belong to the provider and the CLI.
                "patternProperties": {f"^(?!{config.NAMESPACE}:)": {}},
                "additionalProperties": False,
            },
            "encryptionsalt": {"type": "string"},
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
        },
        "$defs": defs,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
