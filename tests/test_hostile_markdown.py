"""Hostile names, patterns, keys and values through the real program into the PR-comment markdown.

Each string of the corpus is put wherever a stack file lets free text reach the output (the project,
a cloud and a plan, a MirrorMaker's key, topic patterns, an external endpoint's name, the stack and
the base ref), planned under the mock engine, and rendered as GitHub renders a comment. The rendered
document must have exactly the elements it has with a harmless word in the same places: no image,
link, script or `<details>` of the attacker's, no extra table row or cell, heading or code block;
and the string must be shown, as text.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import cli, escape, markdown, render
from replication import diff as diffs
from tests.conftest import ROOT, run_checked
from tests.rendered import Element, tags
from tests.rendered import render as rendered

HOSTILE = [
    "x``<img src=x onerror=alert(1)>``",
    "`` <details><summary>All good</summary> ``",
    "</details></details></summary>",
    "<script>alert(1)</script>",
    "[click](https://evil.example) ![i](https://evil.example/i.png)",
    "<https://evil.com> www.evil.com https://evil.com mail@evil.com @org/team #1",
    "a|b\r| injected | row |",
    "x\n\n## Injected heading\n\n<img src=x>",
    "\n```\n<img src=x>\n```\n~~~\n",
    "*em* _em_ ~~del~~ $x$ &lt;b&gt; &amp;",
    "\x1b[31mred\x1b[0m \u202eevil\u2028next",
    "--> <!-- ",
    "\\`` \\| \\",
    "    indented\n> quote\n- item\n1. one",
]
HARMLESS = "harmless"


def _config(value: str) -> dict[str, Any]:
    """Overrides of the dev stack that put `value` everywhere config lets free text through."""
    ns = "aiven-kafka-replication:"
    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    clusters, mirrormakers, flows = raw[ns + "clusters"], raw[ns + "mirrormakers"], raw[ns + "flows"]
    clusters["source"]["cloud"] = value
    clusters["target"]["plan"] = value
    clusters["outside"] = {
        "external": {"endpointName": value, "bootstrapServers": ["kafka-1.example.com:9092"],
                     "securityProtocol": "PLAINTEXT"},
    }
    mirrormaker = {**mirrormakers["mm"], "serviceName": "mm"}
    pattern = f"\\Q{value}\\E"  # Java's literal quoting: any text without `\E` is a valid pattern
    # `tmp-.*` makes the filter narrower whatever `value` is, so `diff` names the patterns in a finding.
    flow = {**flows[0], "mirrormaker": value, "topics": [pattern, ".*"], "topicsExclude": [pattern, "tmp-.*"],
            "configPropertiesExclude": [pattern]}
    outside = {"source": "outside", "target": "target", "mirrormaker": value, "topics": [pattern]}
    return {"project": value, "clusters": clusters, "mirrormakers": {value: mirrormaker}, "flows": [flow, outside]}


def _plan_doc(value: str) -> dict[str, Any]:
    doc = render.plan_document(run_checked("dev", **_config(value)))
    return {**doc, "stack": value}


def _plan_markdown(value: str) -> str:
    return markdown.plan_comment(_plan_doc(value))


def _diff_markdown(value: str, base: dict[str, Any]) -> str:
    head = _plan_doc(value)
    result = diffs.compare(base, head, base_ref=value)
    return markdown.diff(dataclasses.replace(result, stack=value), head)


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """The dev stack as committed: the diff's base."""
    return render.plan_document(run_checked("dev"))


def assert_inert(hostile_markdown: str, harmless_markdown: str, value: str) -> Element:
    """The hostile document has the harmless one's elements, no more, and shows `value` as text."""
    root = rendered(hostile_markdown)
    found = tags(root)
    for tag in ("img", "a", "script", "iframe"):
        assert tag not in found, f"<{tag}> injected"
    assert found == tags(rendered(harmless_markdown)), "the hostile value changed the document's structure"
    inline = [c.text() for c in root.iter("code") if c.parent is not None and c.parent.tag != "pre"]
    assert any(escape.line(value) in text for text in inline), f"{value!r} is not shown as code"
    return root


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_config_renders_inert_in_the_plan(value: str) -> None:
    assert_inert(_plan_markdown(value), _plan_markdown(HARMLESS), value)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_config_renders_inert_in_the_diff(value: str, base: dict[str, Any]) -> None:
    hostile = _diff_markdown(value, base)
    root = assert_inert(hostile, _diff_markdown(HARMLESS, base), value)
    # The project forces every resource to be replaced: the findings carry the value too.
    findings = [li for li in root.iter("li") if "is replaced" in li.text()]
    assert findings and all(escape.line(value) in li.text() for li in findings)


def test_a_double_backtick_topic_pattern_stays_code() -> None:
    pattern = "x``<img src=x onerror=alert(1)>``"
    text = markdown.plan_comment(render.plan_document(run_checked("dev", flows=[
        {"source": "source", "target": "target", "topics": [pattern]}])))
    root = rendered(text)
    assert "img" not in tags(root)
    assert pattern in [c.text() for c in root.iter("code")]


def test_a_carriage_return_does_not_end_a_table_row() -> None:
    def flow_rows(pattern: str) -> list[list[str]]:
        doc = render.plan_document(run_checked("dev", flows=[
            {"source": "source", "target": "target", "topics": [pattern]}]))
        flows = next(t for t in rendered(markdown.plan_comment(doc)).iter("table") if next(t.iter("th")).text() == "flow")
        return [[cell.text() for cell in row.iter("td", "th")] for row in flows.iter("tr")]

    rows = flow_rows("a\r| injected | row |")
    assert len(rows) == 2 and len(rows[1]) == len(rows[0]) == 6
    assert rows[1][2] == "a␍| injected | row |"


def test_a_key_with_a_code_fence_stays_in_the_error_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    key = "x\n```\n<img src=x onerror=alert(1)>\n"
    doc["config"]["aiven-kafka-replication:clusters"]["source"][key] = 1
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(doc))
    code = cli.main(["plan", "--stack", "dev", "--config", str(stack_file), "--format", "markdown"])
    out, err = capsys.readouterr()
    assert code == 2
    root = rendered(out)
    assert tags(root) == ["h2", "code", "blockquote", "p", "strong", "pre", "code"]
    (block,) = root.iter("pre")
    assert f"clusters.source[{key!r}]: unknown key" in block.text()
    # On the terminal too, the issue is one line naming the key, quoted.
    assert err.splitlines() == [
        f"error: Pulumi.dev.yaml: aiven-kafka-replication:clusters.source[{key!r}]: unknown key (a typo?) with value 1"
    ]


def test_one_stacks_section_cannot_fold_anothers(base: dict[str, Any]) -> None:
    """The workflow pastes each stack's section one after another into one comment."""
    dev = _diff_markdown("`` <details><summary>All good</summary> ``", base)
    prod_base = render.plan_document(run_checked("prod"))
    prod_head = render.plan_document(run_checked("prod", project="elsewhere"))
    prod = markdown.diff(diffs.compare(prod_base, prod_head, base_ref="main"), prod_head)
    root = rendered(dev + "\n" + prod)
    headings = [h for h in root.iter("h2") if "prod" in h.text()]
    warnings = [b for b in root.iter("blockquote") if "data loss" in b.text() and "my-aiven-project" in b.text()]
    assert len(headings) == 1 and warnings
    for element in headings + warnings:
        assert [a.tag for a in element.ancestors()] == ["#document"], "prod's section is nested in dev's"
    assert [s.text() for s in root.iter("summary")] == ["Topology after this change"] * 2


def test_the_diff_error_section_on_stdout(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = "x\n````\n<img src=x onerror=alert(1)>"
    code = cli.main(["diff", "--stack", "dev", "--base", ref, "--dir", str(repo), "--format", "markdown"])
    out, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: base ref")
    assert out.startswith(markdown.marker("dev") + "\n## Replication diff: `dev`\n")
    root = rendered(out)
    assert tags(root) == ["h2", "code", "blockquote", "p", "strong", "pre", "code"]
    assert [p.text() for p in root.iter("pre")] == [err]


def test_text_outputs_are_one_line_per_line() -> None:
    value = "a\r\nforged: no changes\x1b[2J"
    result = run_checked("dev", project=value)
    text = render.text(result)
    assert "\x1b" not in text and "\r" not in text and "forged" in text
    assert not any(line.startswith("forged") for line in text.splitlines())
    doc = render.plan_document(result)
    changed = diffs.text(diffs.compare(render.plan_document(run_checked("dev")), doc))
    assert "\x1b" not in changed and "\r" not in changed
    assert not any(line.startswith("forged") for line in changed.splitlines())
    assert json.loads(render.json_text(result))["resources"][0]["inputs"]["project"] == value


def test_error_lines_are_terminal_safe_and_the_section_names_the_stack(capsys: pytest.CaptureFixture[str]) -> None:
    stack = "x\x1b[2J\rforged: ok\n## <img src=x>"
    assert cli.main(["plan", "--stack", stack, "--format", "markdown"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: --stack 'x\\x1b[2J") and err.count("\n") == 1
    assert "\x1b" not in err and "\r" not in err
    root = rendered(out)
    assert tags(root) == ["h2", "code", "blockquote", "p", "strong", "pre", "code"]
    assert next(root.iter("code")).text() == escape.line(stack)
