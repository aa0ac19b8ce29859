"""Command line: plan a stack offline (`plan --stack dev`), or compare it with a git ref (`diff --base main`).

`failover` prints, for each cluster assumed lost, where each of its topics survives.

`plan` runs the real program offline under the mock engine and prints what `pulumi preview` would
create. `diff` plans the stack at a git ref and in the working tree and classifies every change.
`policy` runs the policy pack's rules on the plan (also part of `plan` and `diff`: see
:mod:`replication.policies`). Exit codes: 0 ok; 1 `diff` found a change that cannot be applied,
or, with `--fail-on-data-loss`, one that loses records, stops replication or cannot be judged (see
`diff_rules`) and is not accepted with `--accept ID` (:mod:`replication.acceptance`); 2 invalid config or
topology (the message says which key and value), a policy error, a git ref that fails, or an
`--accept` that names no finding or a cannot-apply one. No input ends in a traceback: an unexpected
exception is reported as one line naming its type (its message may quote a secret), exit 2; set
REPLICATION_TRACEBACK=1 to see the traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from replication import acceptance, config, engine, escape, failover_render, markdown, plandoc, policies, render, stacks
from replication import base as bases
from replication import base_policy as base_packs
from replication import diff as diffs


def _plan_markdown(result: engine.RunResult) -> str:
    return markdown.plan_comment(plandoc.plan_document(result))


FORMATS: dict[str, Callable[[engine.RunResult], str]] = {
    "text": render.text,
    "json": render.json_text,
    "markdown": _plan_markdown,
}
# Diff renderers take the diff and the working tree's plan document (the markdown draws its topology).
DIFF_FORMATS: dict[str, Callable[[diffs.Diff, Mapping[str, Any]], str]] = {
    "text": lambda d, head: diffs.text(d),
    "json": lambda d, head: diffs.json_text(d),
    "markdown": markdown.diff,
}

# Failover renderers take the `failoverMap` output and the stack name (the markdown heads with it).
FAILOVER_FORMATS: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "text": lambda doc, stack: failover_render.text(doc),
    "json": lambda doc, stack: failover_render.json_text(doc),
    "markdown": failover_render.markdown,
}

#: Pulumi's rule for a stack name, which also names the stack file and heads the markdown.
STACK_NAME = stacks.NAME


def _stack_arguments(command: argparse.ArgumentParser, formats: Mapping[str, object]) -> None:
    """The arguments `plan` and `diff` share: which stack, from which files, in which format."""
    command.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    command.add_argument("--config", type=Path, help="a stack config file to use instead of Pulumi.<stack>.yaml")
    command.add_argument("--format", choices=sorted(formats), default="text")
    command.add_argument("--dir", type=Path, default=engine.PROJECT_ROOT, help="the Pulumi project directory")
    command.add_argument(
        "--policy-config", type=Path,
        help="the policy pack's config (default: the stack's in policy/stacks.json; for diff --base, as at the base)"
    )


def _bytes(value: str) -> int:
    """A byte count for `--comment-limit`: a whole number, 0 or more (argparse reports the error in one line)."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes, 0 or more, got {escape.line(value)}")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m replication", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="plan a stack offline and print the resources it declares")
    _stack_arguments(plan, FORMATS)
    diff = sub.add_parser("diff", help="plan a stack at a git ref and in the working tree, and compare")
    _stack_arguments(diff, DIFF_FORMATS)
    diff.add_argument("--base", help="git ref to compare with, e.g. origin/main (in the stack file's repository)")
    diff.add_argument("--base-config", type=Path, help="the base version of the stack file, instead of the ref's")
    diff.add_argument(
        "--fail-on-data-loss",
        action="store_true",
        help="exit 1 also on data-loss, replication-stops and cannot-judge findings (cannot-apply always does)",
    )
    diff.add_argument(
        "--comment-limit", type=_bytes, default=markdown.COMMENT_LIMIT, metavar="BYTES",
        help="markdown: shorten the report to fit in this many bytes, a PR comment's share "
        f"(default {markdown.COMMENT_LIMIT}; 0: no limit); counts and the verdict always stay",
    )
    diff.add_argument(
        "--accept", action="append", default=[], metavar="ID",
        help="accept the finding with this id on purpose (repeatable): still listed, marked accepted, it does not "
        "fail the diff; an id that names no finding, or a cannot-apply finding, is exit 2",
    )
    diff.add_argument("--full-report", type=Path, metavar="FILE",
                      help="markdown: also write the unshortened report to FILE")
    policy = sub.add_parser("policy", help="run the policy pack's rules offline on a stack's plan")
    _stack_arguments(policy, {"text": None})
    failover = sub.add_parser("failover", help="for each cluster assumed lost, where its topics survive")
    _stack_arguments(failover, FAILOVER_FORMATS)
    sub.add_parser("schema", help="print the JSON Schema of the stack config namespace")
    return parser


#: Set to 1 to let an unexpected exception end in its traceback instead of one line.
TRACEBACK_ENV = "REPLICATION_TRACEBACK"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        # The type only: an exception's message can quote any config value, secrets included.
        print(f"error: internal error ({type(err).__name__}); this is a bug, please report it "
              f"(set {TRACEBACK_ENV}=1 for the traceback)", file=sys.stderr)
        return 2


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(schema_text())
        return 0
    if not STACK_NAME.fullmatch(args.stack):
        bad = ValueError(f"--stack {args.stack!r}: a stack name has only letters, digits, '-', '_' and '.'")
        return _fail(bad, args)
    if args.command == "diff":
        return run_diff(args)
    if args.command == "failover":
        return run_failover(args)
    try:
        result = engine.run_program(args.stack, args.dir, stack_file=args.config)
        found = judge(args, result)
    except (engine.ProgramError, policies.PolicyConfigError, policies.PolicyError) as err:
        return _fail(err, args)
    if args.command == "policy":
        return run_policy(found)
    sys.stdout.write(FORMATS[args.format](result))
    return 0


# Set for the base side of `diff`: the base is compared, not judged, so its policy errors are warnings.
POLICY_ERRORS_AS_WARNINGS = "REPLICATION_POLICY_ERRORS_AS_WARNINGS"


def judge(
    args: argparse.Namespace, result: engine.RunResult, pack: Mapping[str, Any] | None = None
) -> list[policies.Finding]:
    """The pack's rules on a plan, with `pack`, else the stack's pack config (see
    :mod:`replication.policies`). For `plan` and `diff`, errors raise :class:`policies.PolicyError`
    (exit 2) and warnings join the plan's diagnostics; `policy` lists them all."""
    if pack is None:
        pack = policies.load_config(args.policy_config or stacks.pack_config(args.stack, args.dir))
    found = policies.check(result, pack)
    if os.environ.get(POLICY_ERRORS_AS_WARNINGS) == "1":
        found = [dataclasses.replace(f, error=False) for f in found]
    if args.command != "policy":
        errors = [f for f in found if f.error]
        if errors:
            raise policies.PolicyError(errors)
        result.logs += [("warning", str(f)) for f in found]
    return found


def run_policy(found: list[policies.Finding]) -> int:
    """`policy`: every finding, one line each; exit 2 when one is an error."""
    for finding in found:
        print(escape.line(f"{'error' if finding.error else 'warning'}: {finding}"))
    errors = sum(f.error for f in found)
    print(f"policy: {errors} errors, {len(found) - errors} warnings")
    return 2 if errors else 0


def run_diff(args: argparse.Namespace) -> int:
    """`diff`: head plan from this process, base plan by the base's code (:mod:`replication.base`), compare."""
    stack_file: Path = args.config or args.dir / f"Pulumi.{args.stack}.yaml"
    if args.full_report and args.format != "markdown":
        print(f"error: --full-report writes the markdown report; it needs --format markdown, not {args.format}",
              file=sys.stderr)
        return 2
    try:
        planned = engine.run_program(args.stack, args.dir, stack_file=args.config)
        # Judged with the base's pack config: the change under review cannot lift its own protection.
        at_base = None
        if args.base and not args.policy_config:
            at_base = base_packs.at_ref(args.stack, args.dir, stack_file, args.base)
        if at_base is not None and at_base.note:
            planned.logs.append(("warning", at_base.note))
        judge(args, planned, at_base.config if at_base else None)  # its warnings join the head's diagnostics
        head = plandoc.plan_document(planned)
        base = bases.plan_base(args.stack, args.dir, stack_file, (stack_file.read_text(), head),
                               ref=args.base, base_config=args.base_config)
    except (engine.ProgramError, bases.BaseError, policies.PolicyConfigError, policies.PolicyError) as err:
        return _fail(err, args)
    print(escape.line(base.describe()), file=sys.stderr)
    result = diffs.compare(base.document, head, base_ref=args.base or str(args.base_config))
    try:
        result = dataclasses.replace(result, accepted=acceptance.check(result.stack, result.findings, args.accept))
    except acceptance.AcceptError as err:
        return _fail(err, args)
    if args.format == "markdown":
        if args.full_report:  # first, so a path it cannot write fails before any report is out
            try:
                args.full_report.write_text(markdown.diff(result, head, limit=None))
            except OSError as err:
                print(escape.line(f"error: --full-report {str(args.full_report)!r}: {err.strerror or err}"),
                      file=sys.stderr)
                return 2
        sys.stdout.write(markdown.diff(result, head, limit=args.comment_limit or None))
    else:
        sys.stdout.write(DIFF_FORMATS[args.format](result, head))
    failing = result.failing(args.fail_on_data_loss)
    if result.accepted:
        print(f"diff: {len(result.accepted)} findings accepted on purpose (--accept)", file=sys.stderr)
    if failing:
        what = (
            "lose records, stop replication, cannot be applied or cannot be judged"
            if args.fail_on_data_loss
            else "cannot be applied"
        )
        print(f"diff: {len(failing)} findings {what} (see the findings)", file=sys.stderr)
    return 1 if failing else 0


def run_failover(args: argparse.Namespace) -> int:
    """`failover`: plan the stack offline and render the failover map it exports."""
    try:
        result = engine.run_program(args.stack, args.dir, stack_file=args.config)
    except engine.ProgramError as err:
        return _fail(err, args)
    sys.stdout.write(FAILOVER_FORMATS[args.format](result.outputs["failoverMap"], args.stack))
    return 0


def _fail(err: Exception, args: argparse.Namespace) -> int:
    """Exit 2 for bad input: the error on stderr, each line safe for a terminal. With
    `--format markdown`, stdout gets the stack's section saying so, the error in a block it cannot
    leave, so a workflow can paste stdout whatever the exit code."""
    # One `error:` line per issue; indented lines belong to the line above them.
    message = "\n".join(
        escape.line(part if part[:1].isspace() else f"error: {part}") for part in str(err).split("\n")
    )
    print(message, file=sys.stderr)
    if args.format == "markdown":
        limit = getattr(args, "comment_limit", markdown.COMMENT_LIMIT) or None
        sys.stdout.write(markdown.error(args.command, args.stack, message, limit))
    return 2


def schema_text() -> str:
    """The stack-file JSON Schema: `config:` holds the namespace's keys, prefixed."""
    inner = config.json_schema()
    defs = inner.pop("$defs", {})
    properties = {f"{config.NAMESPACE}:{k}": v for k, v in inner["properties"].items()}
    # A secret sits in a stack file encrypted, as `{secure: <ciphertext>}`; credentials only that way
    # (entry by entry with `--path`, or the whole map), so a plain-text password is flagged too.
    defs["Secure"] = {
        "description": "A secret, encrypted by `pulumi config set --secret`.",
        "type": "object",
        "properties": {"secure": {"type": "string"}},
        "required": ["secure"],
        "additionalProperties": False,
    }
    secure = {"$ref": "#/$defs/Secure"}
    credentials = properties[f"{config.NAMESPACE}:credentials"]
    entries = {pattern: secure for pattern in credentials.pop("patternProperties")}
    credentials["anyOf"] = [secure, {"type": "object", "patternProperties": entries, "additionalProperties": False}]
    del credentials["type"]
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
