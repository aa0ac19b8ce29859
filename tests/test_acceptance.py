"""Accepting a finding on purpose: ids, the PR description's lines, and `diff --accept` end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from replication import acceptance, cli
from replication.diff_rules import RULES, Finding
from tests.conftest import ROOT, git


def _finding(rule: str, name: str, path: str, cls: str = "data-loss") -> Finding:
    return Finding(cls, rule, name, path, 1, 0, "m")  # type: ignore[arg-type]


def test_id_is_stack_rule_and_name_plus_the_path_only_for_rules_that_hit_several_paths() -> None:
    assert acceptance.finding_id("prod", _finding("topic-lost", "source-topic-orders", "(resource)")) == (
        "prod/topic-lost/source-topic-orders"
    )
    assert acceptance.finding_id("prod", _finding("topic-retention-cut", "t", "config.retentionMs")) == (
        "prod/topic-retention-cut/t/config.retentionMs"
    )
    assert acceptance.finding_id("dev", _finding("heartbeats-off", "f", "emitHeartbeatsEnabled", "advisory")) == (
        "dev/heartbeats-off/f/emitHeartbeatsEnabled"
    )


def test_hostile_characters_are_percent_encoded_and_the_id_stays_in_the_grammar() -> None:
    hostile = "a/b <img src=x> `x`\n@team\u202e%"
    value = acceptance.finding_id("dev", _finding("topic-lost", hostile, "(resource)"))
    assert value == "dev/topic-lost/a%2Fb%20%3Cimg%20src=x%3E%20%60x%60%0A@team%E2%80%AE%25"
    assert acceptance.is_id(value)
    assert acceptance.finding_id("dev", _finding("topic-lost", "", "")) == "dev/topic-lost/%00"


@pytest.mark.parametrize("value", [
    "dev/topic-lost", "dev/topic-lost/x/y/z", "dev//x", "dev/topic-lost/x y", "dev/topic-lost/$(id)",
    "dev/topic-lost/`x`", "dev/topic-lost/%zz", "dev/topic-lost/" + "a" * 400, "",
])
def test_is_id_refuses_what_is_not_an_id(value: str) -> None:
    assert not acceptance.is_id(value)


def test_from_description_reads_accept_lines_and_ignores_the_rest() -> None:
    body = (
        "We delete orders on purpose.\r\n"
        "accept-finding: prod/topic-lost/source-topic-orders\r\n"
        "  accept-finding:   dev/version-needs-kraft/source-kafka  \n"
        "accept-finding: prod/topic-lost/source-topic-orders\n"  # a repeat counts once
        "accept-finding: prod/topic-lost/x; rm -rf /\n"
        "accept-finding: $(curl evil)\n"
        "text accept-finding: prod/topic-lost/inline\n"
        "Accept-Finding: prod/topic-lost/upper\n"
    )
    assert acceptance.from_description(body) == [
        "prod/topic-lost/source-topic-orders", "dev/version-needs-kraft/source-kafka",
    ]
    assert acceptance.from_description(body, "dev") == ["dev/version-needs-kraft/source-kafka"]
    assert acceptance.from_description("", "dev") == []


def test_check_refuses_a_stale_id_and_a_cannot_apply_finding() -> None:
    found = [_finding("topic-lost", "t", "(resource)"), _finding("partition-decrease", "p", "partitions", "cannot-apply")]
    assert acceptance.check("dev", found, ["dev/topic-lost/t"]) == frozenset({"dev/topic-lost/t"})
    with pytest.raises(acceptance.AcceptError, match=r"^--accept dev/topic-lost/u: no finding of this diff has this id"):
        acceptance.check("dev", found, ["dev/topic-lost/t", "dev/topic-lost/u"])
    with pytest.raises(acceptance.AcceptError, match="cannot-apply finding cannot be accepted"):
        acceptance.check("dev", found, ["dev/partition-decrease/p"])


def test_check_refuses_an_id_two_findings_share() -> None:
    # A rule without per-path ids that hit two paths of one resource: one acceptance must not cover both.
    found = [_finding("topic-lost", "t", "config.a"), _finding("topic-lost", "t", "config.b")]
    with pytest.raises(acceptance.AcceptError, match=r"^--accept dev/topic-lost/t: 2 findings share this id"):
        acceptance.check("dev", found, ["dev/topic-lost/t"])


def test_main_refuses_an_id_of_a_stack_the_review_does_not_judge(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PR_BODY", "accept-finding: dev/topic-lost/t\naccept-finding: prdo/topic-lost/t\n")
    assert acceptance.main(["--stacks", "dev", "prod"]) == 2
    assert capsys.readouterr().err == (
        "error: accept-finding: prdo/topic-lost/t: no stack of this review is named prdo (stacks: dev, prod)\n"
    )
    assert acceptance.main(["--stacks", "dev", "prdo"]) == 0


def test_main_prints_one_accept_argument_per_id_of_the_stack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PR_BODY", "accept-finding: dev/topic-lost/a\naccept-finding: prod/topic-lost/b\n")
    assert acceptance.main(["--stack", "dev"]) == 0
    assert capsys.readouterr().out == "--accept=dev/topic-lost/a\n"


# --- end to end: a topic deleted and Kafka 3.9 → 4.1 (KRaft checked by a human) -----------------------

KRAFT = "dev/version-needs-kraft/source-kafka"
LOST = "dev/topic-lost/source-topic-topic-a"
STOPS = "dev/replication-stops/source-to-target-flow"


def _intended_change(repo: Path) -> None:
    stack = repo / "Pulumi.dev.yaml"
    text = stack.read_text()
    stack.write_text(text.replace('kafkaVersion: "3.2"', 'kafkaVersion: "3.9"', 1))
    git(repo, "commit", "-q", "-am", "3.9")
    text = stack.read_text().replace('kafkaVersion: "3.9"', 'kafkaVersion: "4.1"', 1)
    stack.write_text(text.replace("      topics:\n        topic-a: {partitions: 3, replication: 2}\n", "", 1))


def _diff(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["diff", "--stack", "dev", "--base", "HEAD", "--dir", str(repo), "--fail-on-data-loss", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_accepted_findings_are_listed_marked_and_do_not_fail(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _intended_change(repo)
    code, out, _ = _diff(repo, capsys, "--format", "json")
    assert code == 1
    assert [(f["id"], f["class"], f["accepted"]) for f in json.loads(out)["findings"]] == [
        (KRAFT, "cannot-judge", False), (LOST, "data-loss", False), (STOPS, "replication-stops", False),
    ]

    code, out, err = _diff(repo, capsys, "--format", "json", "--accept", KRAFT)
    assert code == 1, "the topic deletion is not accepted"
    assert [(f["id"], f["accepted"]) for f in json.loads(out)["findings"]] == [
        (KRAFT, True), (LOST, False), (STOPS, False),
    ]
    assert "diff: 2 findings lose records" in err

    every = ["--accept", KRAFT, "--accept", LOST, "--accept", STOPS]
    code, out, err = _diff(repo, capsys, *every)
    assert code == 0
    assert "    cannot-judge (accepted): Kafka service `source`" in out
    assert f"        id: {KRAFT}\n" in out and f"        id: {LOST}\n" in out
    assert "    data-loss (accepted): topic `topic-a` on `source` is deleted." in out
    assert "diff: 3 findings accepted on purpose" in err

    code, out, _ = _diff(repo, capsys, "--format", "markdown", *every)
    assert code == 0
    assert (f"**Accepted on purpose** (`accept-finding:` lines of the PR description; approve them knowingly): "
            f"`{KRAFT}`, `{LOST}`, `{STOPS}`.") in out
    assert "> **Every finding that fails this change is accepted on purpose.**" in out
    assert "> - **data loss**: **accepted** topic `topic-a` on `source` is deleted." in out
    assert f"(id `{LOST}`)" in out

    code, out, _ = _diff(repo, capsys, "--format", "markdown", "--accept", KRAFT)
    assert code == 1
    assert "> **This change loses records, stops replication or cannot be applied.**" in out
    assert "> - **data loss**: topic `topic-a` on `source` is deleted. Its records are lost" in out


def test_a_stale_or_cannot_apply_acceptance_is_exit_2_with_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _intended_change(repo)
    code, out, err = _diff(repo, capsys, "--accept", KRAFT, "--accept", "dev/topic-lost/source-topic-topic-z")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (
        "error: --accept dev/topic-lost/source-topic-topic-z: no finding of this diff has this id (stale or mistyped?)"
    )
    stack = repo / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("topic-b: {partitions: 3,", "topic-b: {partitions: 2,"))
    code, out, err = _diff(repo, capsys, "--format", "json")
    assert ("dev/partition-decrease/target-topic-topic-b", "cannot-apply") in [
        (f["id"], f["class"]) for f in json.loads(out)["findings"]
    ]
    code, _, err = _diff(repo, capsys, "--accept", "dev/partition-decrease/target-topic-topic-b")
    assert code == 2
    assert err.splitlines()[-1] == ("error: --accept dev/partition-decrease/target-topic-topic-b: a cannot-apply "
                                    "finding cannot be accepted (Aiven refuses the change)")


def test_the_review_doc_names_the_rules_whose_ids_carry_the_path() -> None:
    doc = (ROOT / "docs" / "pr-review.md").read_text()
    (listed,) = re.findall(r"rules that can hit several paths of one resource \(([^)]*)\)", doc)
    assert listed == ", ".join(f"`{r.id}`" for r in RULES if r.per_path)
