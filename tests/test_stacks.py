"""The committed stacks (`replication.stacks`): what the workflows and the policy tests iterate over."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policy import rules
from replication import stacks
from tests.conftest import ROOT


def _project(tmp_path: Path, *names: str, configs: dict[str, str] | None = None) -> Path:
    for name in names:
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "stacks.json").write_text(json.dumps(configs or {}))
    return tmp_path


def test_every_stack_file_is_a_stack_and_nothing_else_is() -> None:
    assert stacks.committed() == sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    assert {"dev", "prod"} <= set(stacks.committed())


def test_a_new_stack_file_joins_the_matrix_and_protected_stacks_come_last(tmp_path: Path) -> None:
    root = _project(tmp_path, "prod", "dev", "staging", "eu-prod", configs={"prod": "policy/p.json", "eu-prod": "policy/p.json"})
    assert stacks.matrix(root) == {
        "include": [
            {"stack": "dev", "policy-config": ""},
            {"stack": "staging", "policy-config": ""},
            {"stack": "eu-prod", "policy-config": "policy/p.json"},
            {"stack": "prod", "policy-config": "policy/p.json"},
        ]
    }
    assert stacks.pack_config("prod", root) == root / "policy" / "p.json"
    assert stacks.pack_config("dev", root) is None


@pytest.mark.parametrize("name", ["a b", "$(id)", "x`y", "a\nb", "a" * 101])
def test_a_stack_file_name_that_is_no_stack_name_is_refused(tmp_path: Path, name: str) -> None:
    # Names reach shell commands, GitHub environment names and the PR comment.
    root = _project(tmp_path, "dev", name)
    with pytest.raises(stacks.StackNameError, match="not a stack name") as err:
        stacks.committed(root)
    assert "\n" not in str(err.value)


def test_module_prints_the_matrix_as_the_workflows_read_it() -> None:
    proc = subprocess.run([sys.executable, "-m", "replication.stacks"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1, "one line for $GITHUB_OUTPUT"
    assert json.loads(proc.stdout) == stacks.matrix()


def test_module_runs_before_anything_is_installed() -> None:
    # The workflows' `stacks` job runs it with the runner's bare python3: stdlib only.
    proc = subprocess.run(
        [sys.executable, "-S", "-c", "import replication.stacks, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {'pulumi', 'pydantic', 'yaml'}))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_every_pack_config_belongs_to_a_stack_and_is_a_valid_pack_config() -> None:
    configs = stacks.pack_configs()
    assert set(configs) <= set(stacks.committed())
    for path in configs.values():
        config = json.loads((ROOT / path).read_text())
        assert set(config) <= {r.name for r in rules.RULES}, path


def test_a_stack_that_protects_itself_is_protected_by_name_too() -> None:
    # `protect: true` in a stack file that a pull request can switch off is not enough: the pack
    # config (by stack name) keeps requiring protection.
    for stack in stacks.committed():
        doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        if doc.get("config", {}).get("aiven-kafka-replication:protect") is True:
            config = stacks.pack_config(stack)
            assert config is not None, f"{stack} sets protect: true but has no pack config in {stacks.PACK_CONFIGS}"
            assert json.loads(config.read_text())["protected-kafka-services"]["requireProtection"] is True
