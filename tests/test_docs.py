"""The README is a quick start; the reference lives in `docs/`, every page linked, every link live,
every generated block registered and current."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from replication import argsgen, config, config_doc, doc_examples, docblocks, docgen
from tests.conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
MAX_README_LINES = 150


def _tokens(path: Path) -> list[object]:
    return list(MarkdownIt("commonmark").enable("table").parse(path.read_text()))


def links(path: Path) -> list[str]:
    """Every link target in a markdown file (not in code)."""
    out: list[str] = []
    for token in _tokens(path):
        for child in getattr(token, "children", None) or []:
            if child.type == "link_open":
                out.append(str(child.attrGet("href")))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    tokens = _tokens(path)
    return {
        slug(str(getattr(tokens[i + 1], "content", "")).replace("`", ""))
        for i, token in enumerate(tokens)
        if getattr(token, "type", "") == "heading_open"
    }


def test_readme_is_a_short_quick_start() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move reference to docs/"


def test_readme_links_every_docs_page() -> None:
    linked = {target.partition("#")[0] for target in links(README)}
    assert DOCS, "docs/ holds the reference"
    assert [p.name for p in DOCS if f"docs/{p.name}" not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        dead_anchor = bool(anchor) and resolved.suffix == ".md" and anchor not in anchors(resolved)
        if not resolved.exists() or dead_anchor:
            broken.append(target)
    assert broken == []


def test_slugs_follow_github() -> None:
    assert slug("The topic map: what each cluster will hold") == "the-topic-map-what-each-cluster-will-hold"
    assert slug("clusters (required): map of alias → cluster") == "clusters-required-map-of-alias--cluster"
    assert slug("plan --format text|json|markdown") == "plan---format-textjsonmarkdown"


# --- generated blocks: every one registered, every one current -------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_generated_block_is_registered(page: Path) -> None:
    name = page.relative_to(ROOT).as_posix()
    blocks = docblocks.find(page.read_text())  # refuses a marker that opens no block
    registered = docgen.on_page(name)
    assert set(blocks) == set(registered), "each marked block is listed in replication.docgen.BLOCKS, and only those"
    assert {n: b.note for n, b in blocks.items()} == {n: g.note for n, g in registered.items()}


@pytest.mark.parametrize("block", [g for g in docgen.BLOCKS if g.generate is not None], ids=lambda g: g.name)
def test_every_generated_block_is_current(block: docgen.Generated) -> None:
    assert block.generate is not None
    found = docblocks.find((ROOT / block.page).read_text())
    assert found[block.name].body == block.generate(), f"{block.page} is stale: {block.note}"


def test_blocks_without_a_generator_name_a_test_that_exists() -> None:
    for block in (g for g in docgen.BLOCKS if g.generate is None):
        file, _, function = block.test.partition("::")
        tree = ast.parse((ROOT / file).read_text())
        assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, block.test


def test_every_config_field_is_in_a_key_table() -> None:
    fields = {(model, name) for model in argsgen.models() for name in model.model_fields}
    assert fields - config_doc.documented() == set()
    assert all(info.description for model in argsgen.models() for info in model.model_fields.values())


def test_a_key_table_row_renders_the_alias_the_default_and_the_docstring() -> None:
    rows = {r.key: r for r in config_doc.rows(config_doc.TABLES["flow-keys"])}
    assert config_doc.default(rows["topics"].info) == '`[".*"]`'
    assert config_doc.default(rows["topicsExclude"].info) == r'`[".*[\\-\\.]internal", ".*\\.replica", "__.*"]`'
    assert config_doc.default(rows["syncGroupOffsetsIntervalSeconds"].info) == "`60`"
    assert config_doc.default(rows["enabled"].info) == "`true`"
    assert config_doc.default(rows["replicationPolicy"].info) == '`"default"`'
    assert config_doc.default(rows["source"].info) == "required"
    assert config_doc.default(rows["replicationFactor"].info) == "—"
    users = [r.key for r in config_doc.rows(config_doc.TABLES["user-keys"])]
    assert users == ["password", "permissions", "permissions[].permission", "permissions[].topics",
                     "permissions[].clusters"]
    clusters = [r.key for r in config_doc.rows(config_doc.TABLES["cluster-keys"])]
    assert "topics.<name>.partitions" in clusters and "maintenanceWindow.time" in clusters
    external = config_doc.rows(config_doc.TABLES["external-keys"])
    assert external[0].key == "external.endpointName" and external[0].model is config.ExternalKafkaSpec


def test_a_docstring_with_a_pipe_stays_one_cell() -> None:
    class Piped(config.Model):
        choice: str = "a|b"
        """One of `a|b`
        or `c`."""

    table = config_doc.markdown(config_doc.Table(Piped))
    assert table.splitlines()[2] == r'| `choice` | `"a\|b"` | One of `a\|b` or `c`. |'


PAGE = """# Title

<!-- generated: one (python -m x) -->
old
<!-- end: one -->

prose quoting `<!-- generated: syntax -->` inline

<!-- generated: two (y) -->
<!-- end: two -->
"""


def test_blocks_are_found_and_replaced_leaving_the_prose() -> None:
    found = docblocks.find(PAGE)
    assert found == {"one": docblocks.Block("one", "python -m x", "old\n"), "two": docblocks.Block("two", "y", "")}
    page = docblocks.replace(PAGE, {"one": ("z", "new\nlines")})
    assert page == PAGE.replace("(python -m x) -->\nold\n", "(z) -->\nnew\nlines\n")
    assert docblocks.find(page)["one"].body == "new\nlines\n" and docblocks.find(page)["two"].body == ""
    with pytest.raises(KeyError, match="three"):
        docblocks.replace(PAGE, {"three": ("n", "b")})


@pytest.mark.parametrize("bad", [
    "<!-- generated: one (n) -->\nbody\n",  # never closed
    "<!-- generated: one -->\nbody\n<!-- end: one -->\n",  # no note
    "<!-- generated: one (n) -->\nbody\n<!-- end: two -->\n",  # closed under another name
    "<!-- generated: one (n) -->\n<!-- end: one -->\n<!-- generated: one (n) -->\n<!-- end: one -->\n",  # twice
])
def test_a_marker_that_would_leave_a_block_unchecked_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"opens no block|twice"):
        docblocks.find(bad)


def test_the_command_checks_and_rewrites(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["docgen", "--check"])
    assert docgen.main() == 0
    pages = sorted({g.page for g in docgen.BLOCKS})
    assert capsys.readouterr().out.splitlines() == [f"{Path(page).name} is up to date" for page in pages]


def test_the_readmes_outputs_are_the_programs_exports() -> None:
    # The README's table is the component's outputs (from the package schema); the program exports each.
    exported = re.findall(r'pulumi\.export\("(\w+)"', (ROOT / "replication" / "program.py").read_text())
    table = docblocks.find(README.read_text())["stack-outputs"].body
    assert sorted(exported) == re.findall(r"^\| `(\w+)` \|", table, flags=re.M)


def test_an_example_is_what_plan_prints_for_the_edited_stack() -> None:
    case = doc_examples.Case("Pulumi.dev.yaml", {"flows.0.target": "source", "mirrormakers.mm.ipFilter": doc_examples.DELETE})
    assert doc_examples.lines(case) == [
        "error: Pulumi.dev.yaml: aiven-kafka-replication:flows[0].target: 'source' is also the source: "
        "a flow cannot replicate a cluster into itself"
    ]
    warned = doc_examples.lines(doc_examples.Case("Pulumi.dev.yaml", {"flows.0.enabled": False}, keep="mirrormakers"))
    assert warned == ["warning: aiven-kafka-replication:mirrormakers.mm.ipFilter[0]: '0.0.0.0/0' admits the whole internet"]


def test_an_example_that_no_longer_fits_its_stack_is_refused() -> None:
    with pytest.raises(ValueError, match=r"has no 'clusters\.nowhere\.plan' to edit"):
        doc_examples.lines(doc_examples.Case("Pulumi.dev.yaml", {"clusters.nowhere.plan": "x"}))
    with pytest.raises(ValueError, match="prints nothing"):
        doc_examples.block(doc_examples.Case("Pulumi.dev.yaml", keep="no such line"))
    with pytest.raises(ValueError, match="expected one error line"):
        doc_examples.table((("warnings, not an error", doc_examples.Case("Pulumi.dev.yaml", keep="deprecated")),))
    with pytest.raises(ValueError, match="the component accepts"):
        doc_examples.component_error(doc_examples.Case("Pulumi.dev.yaml"))
