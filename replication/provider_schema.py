"""Typed models of the provider's pass-through blocks, built from the provider contract.

Stack config passes some blocks straight to the Aiven provider (``kafka:``, topic ``config:``,
``kafkaMirrormaker:``, per-cluster integration tuning). Rather than hand-copy ~200 provider
properties, the package ships the relevant slice of the pulumi-aiven 6.62.0 contract
(``provider_types.json``) and builds strict pydantic models from it. A typo or a wrong type is
then caught at config time, with the key path, instead of by the Aiven API mid-``up``.

No Pulumi imports: this module is used by config validation, which must run before any resource
is declared and in plain unit tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from replication import plandoc

SUBSET_PATH = Path(__file__).with_name("provider_types.json")

#: Roots of the pass-through blocks; the subset holds these and every type they reference.
PASS_THROUGH_ROOTS: dict[str, str] = {
    "KafkaUserConfigKafka": "aiven:index/KafkaKafkaUserConfigKafka:KafkaKafkaUserConfigKafka",
    "TopicConfig": "aiven:index/KafkaTopicConfig:KafkaTopicConfig",
    "MirrorMakerSettings": (
        "aiven:index/KafkaMirrorMakerKafkaMirrormakerUserConfigKafkaMirrormaker"
        ":KafkaMirrorMakerKafkaMirrormakerUserConfigKafkaMirrormaker"
    ),
    "IntegrationTuning": (
        "aiven:index/ServiceIntegrationKafkaMirrormakerUserConfigKafkaMirrormaker"
        ":ServiceIntegrationKafkaMirrormakerUserConfigKafkaMirrormaker"
    ),
}

#: Every resource type the program declares: the diff reads their replace-on-change inputs.
DECLARED_RESOURCES = (
    plandoc.KAFKA,
    plandoc.TOPIC,
    plandoc.MIRRORMAKER,
    plandoc.INTEGRATION,
    plandoc.ENDPOINT,
    plandoc.FLOW,
    plandoc.USER,
    plandoc.ACL,
)
#: Inputs that force recreation although the schema does not flag them `willReplaceOnChanges`:
#: the provider documents each as "changing this property forces recreation of the resource"
#: (its plugin-framework resources lack the flag). Without these, renaming a topic's service or a
#: flow's cluster alias would look like a harmless in-place update.
REPLACE_ON_CHANGES_UNFLAGGED: dict[str, tuple[str, ...]] = {
    "aiven:index/kafkaTopic:KafkaTopic": ("project", "serviceName", "topicName"),
    "aiven:index/mirrorMakerReplicationFlow:MirrorMakerReplicationFlow": ("sourceCluster", "targetCluster"),
}

_REF = re.compile(r'"\$ref": "#/types/([^"]+)"')


def extract_subset(contract: dict[str, Any]) -> dict[str, Any]:
    """The slice of the full contract that config validation needs (types closed under $ref)."""
    types: dict[str, Any] = contract["types"]
    wanted: set[str] = set()
    todo = list(PASS_THROUGH_ROOTS.values())
    while todo:
        token = todo.pop()
        if token not in wanted:
            wanted.add(token)
            todo.extend(_REF.findall(json.dumps(types[token])))
    return {
        "version": contract["version"],
        "types": {token: types[token] for token in sorted(wanted)},
        "replaceOnChanges": {
            token: sorted(
                name
                for name, prop in contract["resources"][token]["inputProperties"].items()
                if prop.get("willReplaceOnChanges")
            )
            for token in DECLARED_RESOURCES
        },
    }


@cache
def subset() -> dict[str, Any]:
    """The shipped contract slice, parsed once per process."""
    data: dict[str, Any] = json.loads(SUBSET_PATH.read_text())
    return data


def replace_on_changes(resource_token: str) -> frozenset[str]:
    """Top-level inputs of a resource whose change destroys and recreates it (empty if unknown)."""
    flagged = subset()["replaceOnChanges"].get(resource_token, [])
    return frozenset(flagged) | frozenset(REPLACE_ON_CHANGES_UNFLAGGED.get(resource_token, ()))


def _reject_deprecated(value: Any) -> Any:
    raise ValueError("is deprecated by the provider; use its replacement")


def _int_to_str(value: Any) -> Any:
    # The provider types many numeric topic settings as strings (retentionMs: "604800000");
    # accept the number users naturally write and send the string the provider wants.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _numeric_string(low: float | None, high: float | None) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            number = float(value)
        except ValueError:
            raise ValueError("must be a number") from None
        if low is not None and number < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and number > high:
            raise ValueError(f"must be at most {high}")
        return value

    return check


def _annotation(prop: dict[str, Any], types: dict[str, Any], cache_: dict[str, type[BaseModel]]) -> Any:
    if "$ref" in prop:
        return _model_for(prop["$ref"].removeprefix("#/types/"), types, cache_)
    kind = prop.get("type")
    constraints: dict[str, Any] = {}
    if "x-minimum" in prop:
        constraints["ge"] = prop["x-minimum"]
    if "x-maximum" in prop:
        constraints["le"] = prop["x-maximum"]
    if "x-maxLength" in prop:
        constraints["max_length"] = prop["x-maxLength"]
    enum = prop.get("x-enumFromDescription")
    base: Any
    if kind == "boolean":
        base = bool
    elif kind == "integer":
        base = int
        if enum and not prop.get("x-enumOpen"):
            base = Literal[tuple(int(v) for v in enum)]
    elif kind == "number":
        base = float
    elif kind == "string":
        base = Annotated[str, BeforeValidator(_int_to_str, json_schema_input_type=int | str)]
        if enum and not prop.get("x-enumOpen"):
            base = Annotated[Literal[tuple(enum)], BeforeValidator(_int_to_str)]
        elif "ge" in constraints or "le" in constraints:
            # A number typed as a string (segmentMs: "1"): bound the number, not the string.
            bounds = _numeric_string(constraints.pop("ge", None), constraints.pop("le", None))
            base = Annotated[base, AfterValidator(bounds)]
    elif kind == "array":
        items = _annotation(prop["items"], types, cache_)
        base = list[items]  # type: ignore[valid-type]
    elif kind == "object":
        values = _annotation(prop.get("additionalProperties", {"type": "string"}), types, cache_)
        base = dict[str, values]  # type: ignore[valid-type]
    else:  # pragma: no cover - the contract has no other kinds
        raise ValueError(f"unsupported contract type {prop!r}")
    if constraints and not isinstance(base, type(Literal["x"])):
        base = Annotated[base, Field(**constraints)]
    return base


def _model_for(token: str, types: dict[str, Any], cache_: dict[str, type[BaseModel]]) -> type[BaseModel]:
    if token in cache_:
        return cache_[token]
    spec = types[token]
    required = set(spec.get("required", []))
    fields: dict[str, Any] = {}
    for wire, prop in sorted(spec["properties"].items()):
        annotation = _annotation(prop, types, cache_)
        if prop.get("deprecated") or prop.get("deprecationMessage"):
            annotation = Annotated[Any, BeforeValidator(_reject_deprecated)]
        # Field names are prefixed so provider names can never shadow BaseModel attributes.
        if wire in required:
            fields[f"p_{wire}"] = (annotation, Field(alias=wire))
        else:
            fields[f"p_{wire}"] = (annotation | None, Field(default=None, alias=wire))
    model: type[BaseModel] = create_model(
        token.rsplit(":", 1)[-1],
        __config__=ConfigDict(extra="forbid", strict=True, populate_by_name=False, frozen=True),
        **fields,
    )
    cache_[token] = model
    return model


@cache
def pass_through_model(name: str) -> type[BaseModel]:
    """A strict pydantic model of one pass-through block, keyed by PASS_THROUGH_ROOTS name."""
    data = subset()
    return _model_for(PASS_THROUGH_ROOTS[name], data["types"], _MODELS)


_MODELS: dict[str, type[BaseModel]] = {}


def to_wire(block: BaseModel | None) -> dict[str, Any]:
    """A validated block as the provider's camelCase wire dict, unset keys left out."""
    if block is None:
        return {}
    return block.model_dump(by_alias=True, exclude_none=True)


def to_python_names(token: str, wire: dict[str, Any]) -> dict[str, Any]:
    """Rename a wire dict's keys to the SDK's Python keyword names, recursing into nested types."""
    types = subset()["types"]
    props = types[token]["properties"]
    out: dict[str, Any] = {}
    for key, value in wire.items():
        prop = props[key]
        name = prop.get("x-pythonName", key)
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref and isinstance(value, dict):
            value = to_python_names(ref.removeprefix("#/types/"), value)
        elif ref and isinstance(value, list):
            value = [to_python_names(ref.removeprefix("#/types/"), v) for v in value]
        out[name] = value
    return out


def main(argv: list[str] | None = None) -> None:
    """Regenerate the shipped slice: ``python -m replication.provider_schema CONTRACT.json``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    contract = json.loads(Path(args[0]).read_text())
    SUBSET_PATH.write_text(json.dumps(extract_subset(contract), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
