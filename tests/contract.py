"""The provider's input contract (pulumi-aiven 6.62.0), as a checker for registered resources.

Mocks accept any input; the real provider does not. Every test that declares resources runs
each registered Aiven resource through :meth:`Contract.violations`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from replication.engine import Registration, Secret, Unknown

CONTRACT_PATH = Path(__file__).with_name("aiven-6.62.0.contract.json")

#: What each contract type accepts (a bool is no number, though Python says it is an int).
_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


class Contract:
    """Checks inputs against `inputProperties`, `requiredInputs` and the referenced types."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.resources: dict[str, Any] = data["resources"]
        self.types: dict[str, Any] = data["types"]

    def violations(self, token: str, inputs: dict[str, Any]) -> list[str]:
        """Every way `inputs` breaks the contract of resource `token` (empty when it holds)."""
        spec = self.resources.get(token)
        if spec is None:
            return [f"{token}: not a resource of the provider contract"]
        return list(self._object(token, inputs, spec["inputProperties"], spec.get("requiredInputs", [])))

    def _object(self, path: str, value: Any, props: dict[str, Any], required: list[str]) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{path}: expected an object, got {value!r}"
            return
        for key in required:
            if value.get(key) is None:
                yield f"{path}.{key}: required input is missing"
        for key, item in value.items():
            if key not in props:
                yield f"{path}.{key}: unknown property"
            elif item is not None:
                yield from self._value(f"{path}.{key}", item, props[key])

    def _value(self, path: str, value: Any, prop: dict[str, Any]) -> Iterator[str]:
        if isinstance(value, Secret):
            value = value.value
        if isinstance(value, Unknown):
            return
        if prop.get("deprecated") or prop.get("deprecationMessage"):
            yield f"{path}: deprecated property"
        if "$ref" in prop:
            spec = self.types[prop["$ref"].removeprefix("#/types/")]
            yield from self._object(path, value, spec.get("properties", {}), spec.get("required", []))
            return
        kind = prop.get("type")
        if kind not in _TYPE_CHECKS:
            yield f"{path}: contract type {kind!r} not understood"
            return
        if not _TYPE_CHECKS[kind](value):
            yield f"{path}: expected {kind}, got {value!r}"
            return
        if kind == "array":
            for i, item in enumerate(value):
                yield from self._value(f"{path}[{i}]", item, prop["items"])
        elif kind == "object":
            for key, item in value.items():
                yield from self._value(f"{path}.{key}", item, prop.get("additionalProperties", {"type": "string"}))
        enum = prop.get("x-enumFromDescription")
        if enum and not prop.get("x-enumOpen") and str(value) not in enum:
            yield f"{path}: {value!r} is not one of {enum}"
        if "x-minimum" in prop and isinstance(value, (int, float)) and value < prop["x-minimum"]:
            yield f"{path}: {value!r} is below the minimum {prop['x-minimum']}"
        if "x-maximum" in prop and isinstance(value, (int, float)) and value > prop["x-maximum"]:
            yield f"{path}: {value!r} is above the maximum {prop['x-maximum']}"
        if "x-maxLength" in prop and isinstance(value, str) and len(value) > prop["x-maxLength"]:
            yield f"{path}: {value!r} is longer than {prop['x-maxLength']}"

    def check(self, registrations: list[Registration]) -> list[str]:
        """Violations of every Aiven resource among `registrations`."""
        return [v for r in registrations if r.is_aiven for v in self.violations(r.type, dict(r.inputs))]


@cache
def contract() -> Contract:
    """The contract copy kept under tests/."""
    return Contract(json.loads(CONTRACT_PATH.read_text()))
