"""Every generated block of the docs: which generator writes it, and the command that rewrites them.

The README and the reference in `docs/` are prose around tables and examples that the code writes:
key tables from the config model, bounds and limits from the tables that enforce them, the policy
rules from the pack, the stack outputs from the package schema, error examples from `plan` itself
(:mod:`replication.doc_examples`). Each such block is marked in its page (see
:mod:`replication.docblocks`) and listed once in :data:`BLOCKS`.
`python -m replication.docgen` rewrites them all; with `--check` it only says which pages are stale.
tests/test_docs.py fails when a block is stale or a marker in a page is not listed here.

Blocks whose example is the output of `plan` and `diff` in a git checkout need the Pulumi mock
engine and a temporary repository, so a test regenerates and checks them (named in `test`).
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policy import rules
from replication import (
    aiven_schema,
    config_doc,
    diff_rules,
    doc_examples,
    docblocks,
    escape,
    javaclass,
    package,
    policies,
    stack_limits,
    stackfile,
    topic_bounds,
)
from replication.argsgen import write_or_check

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python -m replication.docgen"


@dataclass(frozen=True)
class Generated:
    """One generated block: where it is and what writes it."""

    page: str
    """The page, relative to the repository root."""
    name: str
    """The block's name in the page."""
    generate: Callable[[], str] | None
    """What writes the block's body; None when only the test `test` can (it needs the mock engine)."""
    test: str = ""
    """For a block without a generator here: the test (`file::function`) that regenerates and checks it."""

    @property
    def note(self) -> str:
        """How to regenerate the block, as its opening marker says."""
        if self.generate is not None:
            return COMMAND
        file, _, function = self.test.partition("::")
        return f"UPDATE_DOCS=1 python -m pytest {file} -k {function}"


def escape_contexts() -> str:
    """The functions of replication.escape, each with the first line of its docstring."""
    functions = [f for name, f in inspect.getmembers(escape, inspect.isfunction)
                 if not name.startswith("_") and f.__module__ == escape.__name__]
    ordered = sorted(functions, key=lambda f: f.__code__.co_firstlineno)
    rows = [f"| `{f.__name__}` | {(inspect.getdoc(f) or '').splitlines()[0]} |" for f in ordered]
    return "\n".join(["| function | context |", "| --- | --- |", *rows]) + "\n"


def stack_outputs() -> str:
    """The component's outputs (the stack outputs), as the committed package schema describes them."""
    resource = json.loads(package.SCHEMA_PATH.read_text())["resources"][package.TOKEN]
    rows = [f"| {escape.cell(escape.code(name))} | {escape.cell(' '.join(p['description'].split()))} |"
            for name, p in resource["properties"].items()]
    return "\n".join(["| output | what |", "| --- | --- |", *rows]) + "\n"


def policy_rules() -> str:
    """The policy pack's rules, as the pack declares them."""
    rows = [f"| `{r.name}` | {r.scope} | {r.enforcement} | {escape.cell(r.description)} |" for r in rules.RULES]
    return "\n".join(["| policy | scope | level | rule |", "| --- | --- | --- | --- |", *rows]) + "\n"


def policy_levels() -> str:
    """The table of what a finding does, from replication.policies' docstring (the code's own words)."""
    return "\n".join(line for line in (policies.__doc__ or "").splitlines() if line.startswith("|")) + "\n"


EXAMPLES = ROOT / "examples"
# An example's header: a schema line, then a one-line summary, then lines saying when to use it.
_SUMMARY = re.compile(r"\A# yaml-language-server: [^\n]*\n# (?P<summary>[^\n]+)\n(?P<use>(?:#[^\n]*\n)*)")


def topologies() -> str:
    """One row per example stack config: its summary line, and the first clause of when to use it."""
    rows = ["| example | topology | use it |", "| --- | --- | --- |"]
    for path in sorted(EXAMPLES.glob("*.yaml")):
        header = _SUMMARY.match(path.read_text())
        if header is None or not header.group("use").startswith("# Use it "):
            raise ValueError(f"examples/{path.name}: the header must be a schema line, a one-line summary "
                             "and a paragraph starting 'Use it'")
        use = " ".join(line.removeprefix("#").strip() for line in header.group("use").splitlines())
        # Its first clause: up to the first full stop or colon.
        first = re.split(r"(?<=[.:])\s", use.removeprefix("Use it "), maxsplit=1)[0].rstrip(".:")
        rows.append(f"| {escape.cell(escape.code(path.name))} | {escape.cell(header.group('summary'))} "
                    f"| {escape.cell(first)} |")
    return "\n".join(rows) + "\n"


def _table(name: str) -> Callable[[], str]:
    return lambda: config_doc.markdown(config_doc.TABLES[name])


def _example(name: str) -> Callable[[], str]:
    return lambda: doc_examples.block(*doc_examples.EXAMPLES[name])


def _component_example(name: str) -> Callable[[], str]:
    return lambda: doc_examples.component_error(doc_examples.COMPONENT_EXAMPLES[name])


def _example_table(name: str) -> Callable[[], str]:
    return lambda: doc_examples.table(doc_examples.TABLES[name])


CONFIGURATION = "docs/configuration.md"
DISASTER_RECOVERY = "docs/disaster-recovery.md"
PR_REVIEW = "docs/pr-review.md"
STACK_FILES = "docs/stack-files.md"
TOPIC_RULES = "docs/topic-rules.md"
AIVEN_SCHEMA = "docs/aiven-schema.md"
REVIEW_DOC_TEST = "tests/test_diff.py::test_review_doc_examples_are_generated"

#: Every generated block in README.md and docs/.
BLOCKS: tuple[Generated, ...] = (
    Generated("README.md", "stack-outputs", stack_outputs),
    *(Generated(CONFIGURATION, name, _table(name))
      for name in ("stack-keys", "cluster-keys", "external-keys", "mirrormaker-keys", "flow-keys", "adopt-keys")),
    Generated(CONFIGURATION, "topologies", topologies),
    *(Generated(DISASTER_RECOVERY, name, _table(name)) for name in ("user-keys", "monitoring-keys")),
    Generated("docs/secrets.md", "credential-keys", config_doc.credential_table),
    Generated(DISASTER_RECOVERY, "write-on-copy", _example("write-on-copy")),
    Generated("docs/guardrails.md", "bad-input", _example("bad-input")),
    Generated(STACK_FILES, "file-errors", _example("file-errors")),
    Generated(AIVEN_SCHEMA, "aiven-bounds-errors", _example("aiven-bounds-errors")),
    Generated(AIVEN_SCHEMA, "aiven-deprecated-warning", _example("aiven-deprecated-warning")),
    Generated(TOPIC_RULES, "topic-bounds-errors", _example("topic-bounds-errors")),
    Generated("docs/protection.md", "protect-errors", _example("protect-errors")),
    Generated("docs/topic-map.md", "topology-errors", _example_table("topology-errors")),
    Generated("docs/other-languages.md", "component-error", _component_example("component-error")),
    Generated(TOPIC_RULES, "topic-bounds", topic_bounds.table),
    Generated(TOPIC_RULES, "remote-storage", topic_bounds.remote_storage_table),
    Generated(STACK_FILES, "file-limits", stackfile.limits_table),
    Generated(STACK_FILES, "stack-limits", stack_limits.limits_table),
    Generated(AIVEN_SCHEMA, "exposed-table", aiven_schema.exposed_table),
    Generated("docs/topic-map.md", "java-properties", javaclass.property_table),
    Generated("docs/policy.md", "policy-levels", policy_levels),
    Generated("docs/policy-pack.md", "policy-rules", policy_rules),
    Generated("docs/escaping.md", "escape-contexts", escape_contexts),
    Generated(PR_REVIEW, "diff-rules", diff_rules.markdown_tables),
    Generated(PR_REVIEW, "plan-diagram", None, REVIEW_DOC_TEST),
    Generated(PR_REVIEW, "rename-diff", None, REVIEW_DOC_TEST),
)


def on_page(page: str) -> dict[str, Generated]:
    """The registered blocks of one page (relative to the repository root), by name."""
    return {g.name: g for g in BLOCKS if g.page == page}


def rendered(page: str, bodies: dict[str, str] | None = None) -> str:
    """The page with every registered block rewritten: by its generator, else from `bodies` (by
    name), else with its body kept (only the marker's note is rewritten)."""
    text = (ROOT / page).read_text()
    current = docblocks.find(text)
    given = bodies or {}

    def body(g: Generated) -> str:
        if g.generate is not None:
            return g.generate()
        if g.name in given:
            return given[g.name]
        return current[g.name].body if g.name in current else ""  # missing: replace() names it

    return docblocks.replace(text, {name: (g.note, body(g)) for name, g in on_page(page).items()})


def main() -> int:
    """Rewrite every generated block in docs/, or with `--check` only say which pages are stale."""
    stale = 0
    for page in sorted({g.page for g in BLOCKS}):
        try:
            text = rendered(page)
        except (KeyError, ValueError) as err:
            print(f"{page}: {err.args[0]}", file=sys.stderr)
            return 2
        stale |= write_or_check(ROOT / page, text, COMMAND)
    engine = [g for g in BLOCKS if g.generate is None]
    if engine and "--check" not in sys.argv[1:]:
        for test in sorted({g.test for g in engine}):
            names = ", ".join(g.name for g in engine if g.test == test)
            print(f"{names}: need the mock engine: {next(g.note for g in engine if g.test == test)}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
