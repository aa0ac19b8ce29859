"""Accepting a finding on purpose: its id, and the `accept-finding:` lines of a pull request.

A finding's id is `<stack>/<rule>/<resource name>`, plus `/<key path>` for a rule that can hit
several paths of one resource (:attr:`diff_rules.Rule.per_path`): specific, so accepting one
deleted topic accepts nothing else, and deterministic, so the id a reviewer reads in one run is
the id of the next. Each part is percent-encoded outside a small safe set, so an id carries no
markup, space or control character whatever the stack file says (the grammar is :data:`ID`).

`cannot-apply` findings cannot be accepted: Aiven refuses the change whatever a human says.
Pure logic, no Pulumi imports (tests/test_acceptance.py).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Sequence

from replication.diff_rules import RULES, Finding

#: Characters an id part keeps as they are; every other character is `%XX` (its UTF-8 bytes).
_SAFE = re.compile(r"[A-Za-z0-9._~:@+=,-]")
#: The grammar of an id: 3 or 4 non-empty parts of safe characters and `%XX`, at most 400 characters.
ID = re.compile(r"(?:[A-Za-z0-9._~:@+=,-]|%[0-9A-F]{2})+(?:/(?:[A-Za-z0-9._~:@+=,-]|%[0-9A-F]{2})+){2,3}")
_MAX = 400
#: A line of a pull request's description that accepts a finding.
_LINE = re.compile(r"^[ \t]*accept-finding:[ \t]*(\S+)[ \t]*$", re.M)

_PER_PATH = frozenset(r.id for r in RULES if r.per_path)


class AcceptError(ValueError):
    """An `--accept` id that cannot be honoured: the message is the one line to show."""


def _part(value: str) -> str:
    return "".join(c if _SAFE.fullmatch(c) else "".join(f"%{b:02X}" for b in c.encode()) for c in value)


def finding_id(stack: str, finding: Finding) -> str:
    """The finding's id, e.g. `prod/topic-lost/orders-topic`."""
    parts = [stack, finding.rule, finding.name] + ([finding.path] if finding.rule in _PER_PATH else [])
    return "/".join(_part(p) or "%00" for p in parts)


def is_id(value: str) -> bool:
    """Whether `value` follows the id grammar."""
    return len(value) <= _MAX and ID.fullmatch(value) is not None


def check(stack: str, findings: Sequence[Finding], accepted: Iterable[str]) -> frozenset[str]:
    """The accepted ids, each checked against this run's findings: raises :class:`AcceptError` for an id
    that names no finding (stale or mistyped), several findings, or a `cannot-apply` finding."""
    ids: dict[str, list[Finding]] = {}
    for f in findings:
        ids.setdefault(finding_id(stack, f), []).append(f)
    wanted = frozenset(accepted)
    for value in sorted(wanted):
        shown = value[:_MAX]  # the caller escapes it for its output
        matches = ids.get(value, [])
        if not matches:
            raise AcceptError(f"--accept {shown}: no finding of this diff has this id (stale or mistyped?)")
        if len(matches) > 1:
            # One acceptance must never cover two findings a reviewer did not each see named.
            raise AcceptError(f"--accept {shown}: {len(matches)} findings share this id; it cannot accept one alone")
        finding = matches[0]
        if finding.cls == "cannot-apply":
            raise AcceptError(f"--accept {shown}: a cannot-apply finding cannot be accepted (Aiven refuses the change)")
    return wanted


def from_description(body: str, stack: str | None = None) -> list[str]:
    """The ids of a pull request description's `accept-finding: <id>` lines, in order, without repeats;
    a line whose value is not an id is ignored. With `stack`, only that stack's ids."""
    found = [m.group(1) for m in _LINE.finditer(body.replace("\r\n", "\n"))]
    ids = [v for v in found if is_id(v) and (stack is None or v.split("/", 1)[0] == stack)]
    return list(dict.fromkeys(ids))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m replication.acceptance --stack S`: the `--accept=<id>` arguments, one a line, of the
    description in the environment variable `PR_BODY` (never spliced into a shell)."""
    parser = argparse.ArgumentParser(prog="python -m replication.acceptance")
    parser.add_argument("--stack", help="print the --accept arguments of this stack's ids")
    parser.add_argument("--stacks", nargs="*", metavar="STACK",
                        help="every stack the review judges: an id of any other stack is exit 2 (never dropped)")
    args = parser.parse_args(argv)
    body = os.environ.get("PR_BODY", "")
    if args.stacks is not None:
        strays = [v for v in from_description(body) if v.split("/", 1)[0] not in args.stacks]
        if strays:
            print(f"error: accept-finding: {strays[0]}: no stack of this review is named "
                  f"{strays[0].split('/', 1)[0]} (stacks: {', '.join(args.stacks)})", file=sys.stderr)
            return 2
    if args.stack is None:
        return 0
    for value in from_description(body, args.stack):
        sys.stdout.write(f"--accept={value}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
