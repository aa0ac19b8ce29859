"""The plan document: versioned, since it is the contract between base and head in `diff`."""

from __future__ import annotations

from pathlib import Path

import pytest

from replication import plandoc, provider_schema, render
from tests.conftest import git, run_checked
from tests.test_diff import run


def test_the_document_carries_its_format_version() -> None:
    doc = plandoc.plan_document(run_checked("dev"))
    assert doc["version"] == plandoc.VERSION
    assert plandoc.version_problem(doc) is None
    # The renderer formats the same document; it does not make its own.
    assert render.plan_document is plandoc.plan_document


def test_an_unversioned_document_is_version_one() -> None:
    # The format before the field existed: bases planned by that code still compare.
    assert plandoc.VERSION == 1 and plandoc.version_problem({"resources": []}) is None


def test_another_version_is_refused_saying_why() -> None:
    problem = plandoc.version_problem({"version": 2})
    assert problem is not None and problem.startswith("its plan document has format version 2 and this code writes")


def test_the_declared_resource_types_are_the_documents() -> None:
    names = {plandoc.KAFKA, plandoc.TOPIC, plandoc.MIRRORMAKER, plandoc.INTEGRATION, plandoc.ENDPOINT,
             plandoc.FLOW, plandoc.USER, plandoc.ACL}
    assert set(provider_schema.DECLARED_RESOURCES) == names
    assert {r.type for r in run_checked("prod").resources if r.is_aiven} <= names


def test_a_base_planned_in_another_format_is_not_compared(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plandoc_py = repo / "replication" / "plandoc.py"
    original = plandoc_py.read_text()
    plandoc_py.write_text(original.replace("\nVERSION = 1\n", "\nVERSION = 2\n"))
    git(repo, "commit", "-q", "-am", "base code: format 2")
    plandoc_py.write_text(original)
    git(repo, "commit", "-q", "-am", "working tree code: format 1")
    code, out, err = run(repo, capsys)
    assert code == 2 and out == ""
    assert "cannot compare with the base HEAD~1: its plan document has format version 2 and this code writes version 1" in err
