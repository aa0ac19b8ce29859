"""`plan --format markdown`: the PR-comment view, and its Mermaid diagram checked by structure."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replication import cli, escape, markdown, render
from tests.conftest import ROOT, RunStack

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
STACKS = [("dev", None), ("prod", None)] + [(p.stem, p) for p in EXAMPLES]

# --- a small parser for the subset of Mermaid flowcharts the renderer writes ---------------------

_LABEL = r'"([^"]*)"'
_NODE = re.compile(rf"^    (\w+)(?:\[\({_LABEL}\)\]|\{{\{{{_LABEL}\}}\}})$")
_EDGE = re.compile(rf"^    (\w+) (==>|-\.->|-\.-)(?:\|{_LABEL}\|)? (\w+)$")
_CLASSDEF = re.compile(r"^    classDef \w+ [\w#:,. -]+$")
_CLASS = re.compile(r"^    class ([\w,]+) (\w+)$")
_ENTITY = re.compile(r"#(\w+);")


@dataclass
class Graph:
    """Nodes (id → label lines) and edges (source, arrow, label lines, target)."""

    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, list[str], str]] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)


def decode(label: str) -> list[str]:
    """A label's lines as Mermaid shows them: entity codes decoded."""
    def entity(m: re.Match[str]) -> str:
        code = m.group(1)
        return chr(int(code)) if code.isdigit() else html.unescape(f"&{code};")

    return [_ENTITY.sub(entity, line) for line in label.split(escape.BREAK)]


def check_label(label: str) -> None:
    """Nothing in a label may end it or open a shape: only `<br/>` and entity codes are markup."""
    bare = _ENTITY.sub("", label.replace(escape.BREAK, ""))
    bad = set(bare) & set('"|[](){}<>#;`')
    assert not bad, f"unescaped {sorted(bad)} in label {label!r}"


def parse_mermaid(block: str) -> Graph:
    """Parse a flowchart; every line must be a node, edge or class line, and edges must use declared nodes."""
    lines = block.splitlines()
    assert lines[0] == "flowchart LR"
    graph = Graph()
    for line in lines[1:]:
        if m := _NODE.match(line):
            node_id, label = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
            assert node_id not in graph.nodes, f"node {node_id} declared twice"
            check_label(label)
            graph.nodes[node_id] = decode(label)
        elif m := _EDGE.match(line):
            source, arrow, label, target = m.groups()
            for end in (source, target):
                assert end in graph.nodes, f"edge {line!r} refers to undeclared node {end}"
            if label is not None:
                check_label(label)
            graph.edges.append((source, arrow, decode(label) if label else [], target))
        elif _CLASSDEF.match(line):
            continue
        elif m := _CLASS.match(line):
            for node_id in m.group(1).split(","):
                assert node_id in graph.nodes, f"class of undeclared node {node_id}"
                graph.classes[node_id] = m.group(2)
        else:
            raise AssertionError(f"not a flowchart line the renderer writes: {line!r}")
    return graph


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.S | re.M)


# --- the parser itself must catch what it is for -----------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        'flowchart LR\n    c1[("a")]\n    c1 ==>|"x"| c2',  # undeclared node
        'flowchart LR\n    c1[("a[b]")]',  # raw bracket
        'flowchart LR\n    c1[("a")]\n    c2[("b")]\n    c1 ==>|"x|y"| c2',  # raw pipe
        'flowchart LR\n    c1[("<script>")]',
        'flowchart LR\n    c1[("a")]\n    c1[("a")]',  # declared twice
        'flowchart LR\n    c1 --> c2',  # not a line the renderer writes
    ],
)
def test_the_parser_rejects_broken_graphs(bad: str) -> None:
    with pytest.raises(AssertionError):
        parse_mermaid(bad)


# --- labels -------------------------------------------------------------------------------------


def test_regex_labels_are_escaped() -> None:
    assert escape.mermaid_text(r".*[\-\.]internal") == r".*#91;\-\.#93;internal"
    assert escape.mermaid_text('say "hi" | <b> (x) {y} #1;') == (
        "say #quot;hi#quot; #124; #lt;b#gt; #40;x#41; #123;y#125; #35;1#59;"
    )


@given(st.text())
def test_any_label_text_survives_escaping(text: str) -> None:
    escaped = escape.mermaid_text(text)
    check_label(escaped)
    assert decode(escaped) == [escape.line(text)]  # one line: breaks and controls shown visibly


def test_cells_escape_pipes_and_code_survives_backticks() -> None:
    assert escape.cell("`a|b`") == "`a\\|b`"
    assert escape.code("a`b") == "``a`b``"


# --- the plan in markdown, on every stack ------------------------------------------------------


@pytest.mark.parametrize(("stack", "config"), STACKS, ids=[s for s, _ in STACKS])
def test_plan_markdown_has_summary_diagram_and_topic_map(run_stack: RunStack, stack: str, config: Path | None) -> None:
    result = run_stack(stack, stack_file=config)
    doc = render.plan_document(result)
    text = markdown.plan_comment(doc)
    assert text.startswith(f"## Replication plan: `{stack}`\n")
    custom = [r for r in doc["resources"] if r["custom"]]
    assert f"| Aiven resources to create | {len(custom)} |" in text
    assert f"| provisioning waves | {doc['waves']} |" in text

    (block,) = mermaid_blocks(text)
    graph = parse_mermaid(block)
    outputs = doc["outputs"]
    aliases = set(outputs["expectedTopics"])
    assert {lines[0] for lines in graph.nodes.values()} == aliases | set(outputs["mirrormakerServiceNames"])
    by_alias = {lines[0]: node for node, lines in graph.nodes.items()}
    flows = [(s, a, lab, t) for s, a, lab, t in graph.edges if a != "-.-"]
    assert len(flows) == len(outputs["flows"])
    for summary in outputs["flows"]:
        flow = next(
            r["inputs"] for r in custom
            if r["type"].endswith("MirrorMakerReplicationFlow")
            and (r["inputs"]["sourceCluster"], r["inputs"]["targetCluster"]) == (summary["source"], summary["target"])
        )
        (label,) = [lab for s, _, lab, t in flows if (s, t) == (by_alias[summary["source"]], by_alias[summary["target"]])]
        assert label == [
            f"via {summary['mirrormaker']}" + ("" if summary["enabled"] else " (disabled)"),
            "topics: " + ", ".join(flow["topics"]),
            "exclude: " + (", ".join(flow.get("topicsBlacklists") or []) or "(none)"),
            f"policy: {summary['replicationPolicy']}",
        ]
    # Each MirrorMaker is joined to exactly the clusters its flows use.
    joins = {(s, t) for s, a, _, t in graph.edges if a == "-.-"}
    assert joins == {
        (by_alias[f["mirrormaker"]], by_alias[f[end]]) for f in outputs["flows"] for end in ("source", "target")
    }

    for alias, topics in outputs["expectedTopics"].items():
        assert f"| `{alias}` | {', '.join(f'`{t}`' for t in topics) or '(none)'} |" in text
    assert "mock-password" not in text and "offline-placeholder" not in text


def test_cluster_kinds_are_drawn_apart(run_stack: RunStack) -> None:
    fan_in = parse_mermaid(mermaid_blocks(markdown.plan_comment(render.plan_document(
        run_stack("fan-in", stack_file=ROOT / "examples" / "fan-in.yaml"))))[0])
    kinds = {fan_in.nodes[n][0]: k for n, k in fan_in.classes.items()}
    assert kinds == {"central": "existing", "edge-eu": "managed", "edge-us": "managed", "edge-ap": "managed",
                     "mm-central": "mirrormaker"}
    migration = parse_mermaid(mermaid_blocks(markdown.plan_comment(render.plan_document(
        run_stack("migration", stack_file=ROOT / "examples" / "migration.yaml"))))[0])
    assert {migration.nodes[n][0]: k for n, k in migration.classes.items()}["onprem"] == "external"


def test_a_disabled_flow_is_a_dotted_edge(run_stack: RunStack) -> None:
    doc = render.plan_document(run_stack("dev", flows=[{"source": "source", "target": "target", "enabled": False}]))
    graph = parse_mermaid(mermaid_blocks(markdown.plan_comment(doc))[0])
    (edge,) = [e for e in graph.edges if e[1] != "-.-"]
    assert edge[1] == "-.->" and edge[2][0] == "via mm (disabled)"
    assert "| **no** |" in markdown.plan_comment(doc)


def test_plan_markdown_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--stack", "dev", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "```mermaid\nflowchart LR\n" in out
    assert "exclude: .*#91;\\-\\.#93;internal, .*\\.replica, __.*" in out
    assert "### Diagnostics" in out and "ipFilter" in out
