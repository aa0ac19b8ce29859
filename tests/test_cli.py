"""The README's main command: `python -m replication plan --stack dev`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replication import cli
from tests.conftest import ROOT


def test_plan_prints_the_tree_with_key_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    for name in ("source-kafka", "target-kafka", "mm-service", "source-topic-topic-a", "target-topic-topic-b",
                 "mm-integration-source", "mm-integration-target", "source-to-target-flow"):
        assert f" {name} " in out, name
    assert "kafkaUserConfig.kafka.logRetentionBytes: 1000000000" in out
    assert "clusterServiceUris: \"[secret]\"" in out
    assert "mock-password" not in out, "secrets must be masked"
    assert "8 Aiven resources" in out


def test_plan_json_is_stable_and_masked(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--stack", "dev", "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert cli.main(["plan", "--stack", "dev", "--format", "json"]) == 0
    assert capsys.readouterr().out == first
    doc = json.loads(first)
    assert doc["waves"] == 3
    assert doc["outputs"]["clusterServiceUris"] == "[secret]"
    assert len([r for r in doc["resources"] if r["custom"]]) == 8


def test_invalid_config_exits_2_with_one_line_per_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text((ROOT / "Pulumi.dev.yaml").read_text().replace('kafkaVersion: "3.2"', "kafkaVersion: 3.10", 1))
    assert cli.main(["plan", "--stack", "bad", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "aiven-kafka-replication:clusters.source.kafkaVersion: must be a quoted string" in err
    assert "Traceback" not in err


def test_module_entry_point_runs_in_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "replication", "plan", "--stack", "dev"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "source-to-target-flow" in proc.stdout
