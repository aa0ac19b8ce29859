"""Lint and type checks, as tests, so CI fails on them."""

from __future__ import annotations

import json
import subprocess
import sys

from replication import provider_schema
from tests.conftest import ROOT
from tests.contract import CONTRACT_PATH


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_clean() -> None:
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean() -> None:
    proc = _run("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shipped_contract_slice_matches_the_contract() -> None:
    shipped = json.loads(provider_schema.SUBSET_PATH.read_text())
    assert shipped == provider_schema.extract_subset(json.loads(CONTRACT_PATH.read_text())), (
        "replication/provider_types.json is stale: python -m replication.provider_schema tests/aiven-6.62.0.contract.json"
    )
