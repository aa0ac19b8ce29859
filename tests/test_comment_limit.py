"""The diff's PR comment always fits GitHub's limit (65,536 characters a comment body): a report that
does not fit is shortened, the verdict and every class's count first, and stays well-formed markdown."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from replication import cli, diff_rules, engine, markdown, plandoc
from replication import diff as diffs
from tests.conftest import ROOT, run_checked
from tests.rendered import render

TOPICS = 1500
HOSTILE = "x``<img src=x>`` ```\n</details><details><summary>ok</summary>\n~~~ <!-- | a | b |"


def _dev_with_topics(count: int) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    clusters = raw["aiven-kafka-replication:clusters"]
    topics = clusters["source"].setdefault("topics", {})
    topics.update({f"orders-{i:04d}": {"partitions": 3, "replication": 2} for i in range(count)})
    return {"clusters": clusters}


@pytest.fixture(scope="module")
def big() -> tuple[diffs.Diff, dict[str, Any]]:
    """The review's reproduction: 1,500 topics on the base, deleted at the head."""
    base = plandoc.plan_document(run_checked("dev", **_dev_with_topics(TOPICS)))
    head = plandoc.plan_document(run_checked("dev"))
    return diffs.compare(base, head, base_ref="origin/main"), head


def _well_formed(document: str) -> None:
    """No fence runs to the end of the document, every `<details>` is closed, and the headings are
    headings (not swallowed by a code block or a `<details>`)."""
    lines = document.splitlines()
    for token in MarkdownIt("commonmark").enable("table").parse(document):
        if token.type == "fence":
            assert token.map is not None
            closing = lines[token.map[1] - 1].strip()
            assert closing and set(closing) == set(token.markup[0]) and len(closing) >= len(token.markup), token.map
    root = render(document)
    assert document.count("<details>") == document.count("</details>")
    for heading in root.iter("h2", "h3"):
        assert not any(a.tag in ("details", "pre", "code") for a in heading.ancestors()), heading.text()


def test_the_full_report_is_over_the_limit_and_the_comment_is_under_it(big: tuple[diffs.Diff, dict[str, Any]]) -> None:
    result, head = big
    full = markdown.diff(result, head, limit=None)
    assert len(full) > markdown.GITHUB_COMMENT_CHARACTERS  # the defect the review reproduced
    comment = markdown.diff(result, head)
    assert len(comment.encode()) <= markdown.COMMENT_LIMIT < markdown.GITHUB_COMMENT_CHARACTERS
    _well_formed(comment)
    # The verdict and every class's count come before any finding.
    head_lines = comment.splitlines()
    assert head_lines[:2] == [markdown.marker("dev"), "## Replication diff: `dev`"]
    counts = comment.index("**Findings**: **data loss** 1500 · **replication stops** 1.")
    assert counts < comment.index("> [!CAUTION]") < comment.index("> - **data loss**")
    assert "**This report is shortened**" in comment and "`replication-diff` artifact (`full.md`" in comment
    assert comment.count("> - **data loss**: topic `orders-") == 20
    assert "> - **data loss**: … and 1480 more findings of rule `topic-lost` (in the full report)" in comment
    assert "… and 1480 more changed resources (in the full report)." in comment
    assert "| `-` delete | 1500 |" in comment  # the counts table is whole
    # The finding that lists all 1,500 stopped copies is cut, not dropped.
    (stops,) = [line for line in comment.splitlines() if line.startswith("> - **replication stops**")]
    assert stops.endswith("… (cut here: the full report has the whole finding) "
                          "(id `dev/replication-stops/source-to-target-flow`)") and len(stops) < 2000
    assert len(markdown.diff(result, head, limit=30_000).encode()) <= 30_000
    assert "**replication stops**: flow" in markdown.diff(result, head, limit=30_000)
    # What is shown is the full report's, word for word.
    shown = [line for line in comment.splitlines() if "orders-0007" in line and line.startswith("> - **data loss**")]
    assert shown and all(line in full.splitlines() for line in shown)


def test_a_report_that_fits_is_not_touched(big: tuple[diffs.Diff, dict[str, Any]]) -> None:
    result, head = big
    small = dataclasses.replace(result, changes=result.changes[:3], findings=result.findings[:3], topic_map=())
    assert markdown.diff(small, head) == markdown.diff(small, head, limit=None)
    assert "shortened" not in markdown.diff(small, head)


@pytest.mark.parametrize("limit", [markdown.COMMENT_LIMIT, markdown.COMMENT_LIMIT // 3, 4000])
def test_hostile_messages_and_warnings_shortened_stay_well_formed(
    big: tuple[diffs.Diff, dict[str, Any]], limit: int
) -> None:
    result, head = big
    hostile = dataclasses.replace(
        result,
        findings=tuple(dataclasses.replace(f, message=f"{HOSTILE} {f.message}") for f in result.findings),
        warnings=tuple(f"{HOSTILE} {i}" for i in range(500)),
    )
    comment = markdown.diff(hostile, head, limit=limit)
    assert len(comment.encode()) <= limit
    _well_formed(comment)
    assert "img" not in [e.tag for e in render(comment).iter()]
    assert "**Findings**: **data loss** 1500 · **replication stops** 1." in comment
    assert "> [!CAUTION]" in comment


def test_one_finding_larger_than_the_limit_is_cut(big: tuple[diffs.Diff, dict[str, Any]]) -> None:
    result, head = big
    huge = diff_rules.Finding("cannot-apply", "partition-decrease", "t", "partitions", 3, 2, HOSTILE * 5000)
    one = dataclasses.replace(result, findings=(huge,))
    comment = markdown.diff(one, head)
    assert len(comment.encode()) <= markdown.COMMENT_LIMIT
    _well_formed(comment)
    assert "**Findings**: **cannot apply** 1." in comment
    (line,) = [line for line in comment.splitlines() if line.startswith("> - **cannot apply**")]
    assert line.endswith("… (cut here: the full report has the whole finding) (id `dev/partition-decrease/t`)")


def test_a_tight_limit_leaves_the_counts(big: tuple[diffs.Diff, dict[str, Any]]) -> None:
    result, head = big
    comment = markdown.diff(result, head, limit=2400)
    assert len(comment.encode()) <= 2400
    _well_formed(comment)
    assert "**Findings**: **data loss** 1500 · **replication stops** 1." in comment
    assert "it shows every class's count." in comment  # counts only
    assert "> - **data loss**: … and 1500 more findings of rule `topic-lost` (in the full report)" in comment


def test_the_command_line_shortens_and_writes_the_full_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = {"head": {}, "base": _dev_with_topics(300)}
    runs = {side: run_checked("dev", **o) for side, o in overrides.items()}
    files = {side: tmp_path / f"{side}.yaml" for side in runs}
    by_text = {}
    for side, path in files.items():
        raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
        raw["config"].update({f"aiven-kafka-replication:{k}": v for k, v in overrides[side].items()})
        path.write_text(yaml.safe_dump(raw))
        by_text[path.read_text()] = runs[side]  # the base is planned from a copy of its file

    def run_program(stack: str, program_dir: Path = ROOT, *, stack_file: Path | None = None,
                    config_overrides: Any = None) -> engine.RunResult:
        assert stack_file is not None
        return by_text[stack_file.read_text()]

    monkeypatch.setattr(engine, "run_program", run_program)
    full = tmp_path / "full.md"
    argv = ["diff", "--stack", "dev", "--config", str(files["head"]), "--base-config", str(files["base"]),
            "--format", "markdown", "--comment-limit", "20000", "--full-report", str(full)]
    assert cli.main(argv) == 0  # data loss fails only with --fail-on-data-loss
    comment = capsys.readouterr().out
    assert len(comment.encode()) <= 20000 < len(full.read_text().encode())
    assert "**Findings**: **data loss** 300" in comment and "**This report is shortened**" in comment
    assert "shortened" not in full.read_text()
    assert cli.main([*argv[:-4], "--comment-limit", "0"]) == 0
    assert capsys.readouterr().out == full.read_text()


def test_a_long_error_is_shortened_in_its_section_and_whole_on_stderr() -> None:
    one_line = HOSTILE.replace("\n", " ")  # as escape.line leaves it
    error_text = "\n".join(f"error: aiven-kafka-replication:clusters.c{i}.plan: {one_line}" for i in range(5000))
    section = markdown.error("diff", "dev", error_text)
    assert len(section.encode()) <= markdown.COMMENT_LIMIT < len(error_text.encode())
    _well_formed(section)
    assert "… and 4800 more lines: the whole error is in the job log" in section
    assert "**The diff failed**" in section and section.startswith(markdown.marker("dev"))
    assert markdown.error("diff", "dev", error_text, limit=None).count("\nerror: ") == 5000


@pytest.mark.parametrize(("target", "reason"), [("missing/dir/full.md", "No such file or directory"),
                                                 (".", "Is a directory")])
def test_a_full_report_path_that_cannot_be_written_is_one_line_naming_it(
    target: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    head = tmp_path / "head.yaml"
    head.write_text((ROOT / "Pulumi.dev.yaml").read_text())
    path = tmp_path / target
    argv = ["diff", "--stack", "dev", "--config", str(head), "--base-config", str(head),
            "--format", "markdown", "--full-report", str(path)]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # it fails before any report is out
    assert captured.err.splitlines()[-1] == f"error: --full-report {str(path)!r}: {reason}"
    assert "internal error" not in captured.err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_full_report_needs_the_markdown_format(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["diff", "--stack", "dev", "--base-config", str(ROOT / "Pulumi.dev.yaml"),
            "--format", fmt, "--full-report", str(tmp_path / "full.md")]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (
        "", f"error: --full-report writes the markdown report; it needs --format markdown, not {fmt}\n")
    assert not (tmp_path / "full.md").exists()
