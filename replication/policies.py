"""The policy pack's rules (`policy/rules.py`) run on an offline plan, as `pulumi preview
--policy-pack policy` runs them on a real one: the same rules, findings and levels, for `plan`,
`diff` and `policy`, so that a review without the Pulumi CLI (fork pull requests) enforces them too.

What a finding does:

| level (from the rule, or the pack config's `enforcementLevel`) | protected stack | other stack |
| --- | --- | --- |
| `mandatory`, the rule's own level | error | warning |
| `mandatory`, set by the pack config | error | error |
| `advisory` | warning | warning |
| `disabled` | nothing | nothing |

A stack is protected when its pack config requires protection (`requireProtection`, as
`policy/protected-stack.json` does for prod) or a service has termination protection: the pack's own
test (`rules.protection_on`). An error stops `plan`, `diff` and `policy` with exit 2, one line each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from policy import rules
from replication.engine import RunResult, Secret, Unknown

Level = Literal["mandatory", "advisory", "disabled"]
LEVELS: tuple[Level, ...] = ("mandatory", "advisory", "disabled")


class PolicyConfigError(ValueError):
    """A pack config file that cannot be read or names what the pack does not have."""


class PolicyError(Exception):
    """Findings that stop the plan: the pack would refuse the stack."""

    def __init__(self, errors: list[Finding]) -> None:
        self.errors = errors
        lines = [f"the policy pack refuses this stack ({len(errors)} errors):", *(f"  {e}" for e in errors)]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Finding:
    """One violation of a rule, with its level and what it does here."""

    rule: str
    level: Level
    message: str
    error: bool
    """Whether it stops the plan (see the module's table)."""

    def __str__(self) -> str:
        return f"policy {self.rule} ({self.level}): {self.message}"


def _plain(value: Any) -> Any:
    # What a policy sees of an input: secrets by value (the pack gets them decrypted too), unknowns
    # as the pack's UNKNOWN.
    if isinstance(value, Secret):
        return _plain(value.value)
    if isinstance(value, Unknown):
        return rules.UNKNOWN
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _secret_texts(value: Any, inside: bool = False) -> set[str]:
    # Every text a secret holds (a `secure:` ip filter, say): judged by the rules, never printed.
    if isinstance(value, Secret):
        return _secret_texts(value.value, True)
    if isinstance(value, dict):
        return {s for v in value.values() for s in _secret_texts(v, inside)}
    if isinstance(value, list):
        return {s for v in value for s in _secret_texts(v, inside)}
    return {str(value)} if inside and str(value) else set()


def _masked(message: str, secrets: set[str]) -> str:
    for text in sorted(secrets, key=len, reverse=True):
        message = message.replace(text, "[secret]")
    return message


def resources_of(result: RunResult) -> list[rules.Resource]:
    """What a policy sees of each resource the program registered."""
    return [
        rules.Resource(r.urn, r.type, _plain(dict(r.inputs)), r.protect, dict(r.property_dependencies))
        for r in result.resources
        if r.custom
    ]


def load_config(path: Path | None) -> dict[str, Any]:
    """A pack config file (`--policy-pack-config`), checked against the pack's rules and levels."""
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyConfigError(f"policy config {str(path)!r}: cannot be read as JSON ({type(err).__name__})") from None
    return parse_config(text, str(path))


def parse_config(text: str, label: str) -> dict[str, Any]:
    """A pack config's text, checked as :func:`load_config` does; `label` names it in errors."""
    try:
        config = json.loads(text)
    except ValueError as err:
        raise PolicyConfigError(f"policy config {label!r}: cannot be read as JSON ({type(err).__name__})") from None
    if not isinstance(config, dict):
        raise PolicyConfigError(f"policy config {label!r}: must be a JSON object of policy name → settings")
    names = {r.name for r in rules.RULES}
    for key, value in config.items():
        if key != "all" and key not in names:
            raise PolicyConfigError(
                f"policy config {label!r}: unknown policy {key!r} (the pack has {', '.join(sorted(names))})"
            )
        level = value if isinstance(value, str) else value.get("enforcementLevel") if isinstance(value, dict) else None
        if not isinstance(value, (str, dict)) or (level is not None and level not in LEVELS):
            raise PolicyConfigError(
                f"policy config {label!r}: {key}: {value!r} is not a level ({', '.join(LEVELS)}) or an object"
            )
    return config


def _settings(config: Mapping[str, Any], name: str) -> tuple[Level | None, dict[str, Any]]:
    """A rule's explicit level (its own, else `all`'s) and its properties, from the pack config."""
    own, every = config.get(name), config.get("all")
    props = {k: v for k, v in own.items() if k != "enforcementLevel"} if isinstance(own, dict) else {}
    for entry in (own, every):
        level = entry if isinstance(entry, str) else entry.get("enforcementLevel") if isinstance(entry, dict) else None
        if level in LEVELS:
            return cast(Level, level), props
    return None, props


def check(result: RunResult, config: Mapping[str, Any]) -> list[Finding]:
    """Every rule's findings on a plan, with what each does (the module's table)."""
    resources = resources_of(result)
    secrets = {s for r in result.resources if r.custom for s in _secret_texts(dict(r.inputs))}
    settings = {rule.name: _settings(config, rule.name) for rule in rules.RULES}
    protected = rules.protection_on(
        resources, {"requireProtection": any(props.get("requireProtection") for _, props in settings.values())}
    )
    found = rules.check_all(resources, {name: props for name, (_, props) in settings.items()})
    out: list[Finding] = []
    for rule in rules.RULES:
        explicit, _ = settings[rule.name]
        level: Level = explicit or rule.enforcement
        if level == "disabled":
            continue
        error = level == "mandatory" and (protected or explicit == "mandatory")
        out += [Finding(rule.name, level, _masked(v.message, secrets), error) for v in found[rule.name]]
    return out
