"""Which pack config judges the working tree in `diff --base REF`: the one the base ref names.

`policy/stacks.json` decides which stacks are protected (their pack config requires protection and
raises rule levels). A pull request could edit it, or the pack config it names, to lift its own
stack's protection and turn mandatory rules into warnings. So `diff` reads both at the base ref
when `policy/stacks.json` exists there, and says so when the working tree's differ. `plan` and
`policy` read the working tree (there is no base to trust).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replication import base as bases
from replication import policies, stacks


@dataclass(frozen=True)
class BasePack:
    """The pack config a stack has at the base ref."""

    config: dict[str, Any]
    """The checked pack config (empty: the pack's defaults, the stack is not listed)."""
    name: str | None
    """Its path from the project root, as `policy/stacks.json` at the base names it."""
    note: str | None
    """A warning when the working tree names or holds another pack config; None when they agree."""


def _blob(top: Path, commit: str, relative: str) -> str | None:
    proc = subprocess.run(["git", "cat-file", "blob", f"{commit}:{relative}"], cwd=top, capture_output=True,
                          check=False)
    if proc.returncode != 0:
        return None
    try:
        return proc.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise policies.PolicyConfigError(f"policy config {relative!r} at the base: not UTF-8") from None


def _head(stack: str, project_dir: Path) -> tuple[str | None, Any]:
    """The working tree's (name, parsed config); the config is None when it cannot be read."""
    try:
        name = stacks.pack_configs(project_dir).get(stack)
        return name, json.loads((project_dir / name).read_text(encoding="utf-8")) if name else {}
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None, None


def at_ref(stack: str, project_dir: Path, stack_file: Path, ref: str) -> BasePack | None:
    """The stack's pack config at `ref`, or None when `policy/stacks.json` is not there, or the
    project is not in the stack file's git repository (`ref` is that repository's, and the change
    under review does not touch the project's pack configs)."""
    top = bases.repository(project_dir)
    if top is None or bases.repository(stack_file.resolve().parent) != top:
        return None
    commit = bases.resolve_commit(top, ref)
    prefix = project_dir.resolve().relative_to(top)
    listing = _blob(top, commit, (prefix / stacks.PACK_CONFIGS).as_posix())
    if listing is None:
        return None
    where = f"{stacks.PACK_CONFIGS.as_posix()} at {ref}"
    try:
        mapping = json.loads(listing)
    except ValueError:
        raise policies.PolicyConfigError(f"{where}: cannot be read as JSON") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise policies.PolicyConfigError(f"{where}: must be a JSON object of stack name → pack config path")
    name: str | None = mapping.get(stack)
    config: dict[str, Any] = {}
    if name is not None:
        text = _blob(top, commit, (prefix / name).as_posix())
        if text is None:
            raise policies.PolicyConfigError(f"{where}: names {name!r} for stack {stack!r}, which is not at {ref}")
        config = policies.parse_config(text, f"{name} at {ref}")
    head_name, head_config = _head(stack, project_dir)
    note = None
    if (head_name, head_config) != (name, config):
        note = (
            f"policy: this change edits the pack config of stack {stack!r} ({stacks.PACK_CONFIGS.as_posix()} "
            f"or {name or 'none'} → {head_name or 'none'}); it is judged with the base's ({where}), so a "
            "change cannot lift its own protection"
        )
    return BasePack(config, name, note)
