"""The committed stacks: every `Pulumi.<stack>.yaml` of the project, and the policy-pack config each
one is previewed, deployed and checked with.

Standard library only, so the workflows can list the stacks before installing anything:
`python3 -m replication.stacks` prints the GitHub Actions matrix (one entry per stack, with its
`policy-config`), or exits 2 with one line when a stack file's name is not a valid stack name.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK_CONFIGS = Path("policy") / "stacks.json"
"""Stack name → the pack config its previews, deploys and `policy` runs use (paths from the project
root). A stack listed there is protected by name: the config, not the stack file a pull request
edits, decides that."""

#: Pulumi's rule for a stack name. Names reach shell commands, environment names and PR comments.
NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


class StackNameError(ValueError):
    """A `Pulumi.<stack>.yaml` whose `<stack>` is not a valid stack name."""


def committed(root: Path = ROOT) -> list[str]:
    """The names of the project's stacks, one per `Pulumi.<stack>.yaml`, sorted."""
    names = [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in sorted(root.glob("Pulumi.*.yaml"))]
    for name in names:
        if not NAME.fullmatch(name):
            raise StackNameError(
                f"Pulumi.<stack>.yaml with stack {name!r}: not a stack name (letters, digits, '_', '.', '-')"
            )
    return names


def pack_configs(root: Path = ROOT) -> dict[str, str]:
    """Every stack's pack config by stack name (the ones `policy/stacks.json` names; none in a
    project without that file)."""
    path = root / PACK_CONFIGS
    mapping: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    return mapping


def pack_config(stack: str, root: Path = ROOT) -> Path | None:
    """The pack config a stack runs with, or None (the pack's defaults)."""
    found = pack_configs(root).get(stack)
    return root / found if found else None


def matrix(root: Path = ROOT) -> dict[str, list[dict[str, str]]]:
    """The workflows' matrix: stacks without a pack config first, then those with one (protected
    stacks deploy last, after the others went through), each group by name."""
    configs = pack_configs(root)
    names = sorted(committed(root), key=lambda s: (s in configs, s))
    return {"include": [{"stack": s, "policy-config": configs.get(s, "")} for s in names]}


def main() -> int:
    """Print the matrix as one line of JSON."""
    try:
        print(json.dumps(matrix(), separators=(",", ":")))
    except StackNameError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
