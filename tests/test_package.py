"""The component package: its schema, its examples, and that it declares what the program does.

- `replication/args.py` and `schema/package.json` are generated; both must be in step.
- The package schema describes the whole stack config: every key of every config model, with the
  model's own description, and nothing else.
- Programs in other languages: the YAML and TypeScript examples validate against the schema.
- Hosted, the component registers exactly what the Python program registers, for every committed
  stack, and refuses bad Args with the program's own one-line errors.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.errors import InputPropertiesError

from replication import argsgen, config, config_keys, package, topology
from replication.engine import RunResult, Secret, run_program
from replication.topicmap import TopologyError
from tests.conftest import ROOT, run_checked
from tests.test_bad_config_catalog import CATALOG, DEV_TEXT, REGEX_CASES, Case
from tests.test_urn_stability import committed_stacks

SCHEMA = package.schema()
RESOURCE = SCHEMA["resources"][package.TOKEN]
EXAMPLES = ROOT / "examples"
STACKS = {stack.name: stack.stack_file for stack in committed_stacks()}
#: Inputs that may be outputs; every other input is plain (known at preview).
NOT_PLAIN = {"project", "credentials.*"}


def stack_config(path: Path) -> dict[str, Any]:
    """A stack file's namespace, keys without the prefix, as written (camelCase)."""
    doc = yaml.safe_load(path.read_text())
    return {k.removeprefix(f"{config.NAMESPACE}:"): v for k, v in doc["config"].items() if k.startswith(config.NAMESPACE)}


# --- generated files ----------------------------------------------------------------------------


def test_args_module_is_generated_from_the_config_model() -> None:
    assert argsgen.ARGS_PATH.read_text() == argsgen.source(), "replication/args.py is stale: python -m replication.argsgen"


def test_committed_package_schema_is_what_the_provider_serves() -> None:
    assert package.SCHEMA_PATH.read_text() == package.schema_text(), (
        "schema/package.json is stale: python -m replication.package"
    )


# --- the schema describes the config model ------------------------------------------------------


def _schema_of(model: type[config.Model]) -> tuple[dict[str, Any], set[str], str | None]:
    """Properties, required names and description of a config model in the package schema."""
    if model is config.StackConfig:
        return RESOURCE["inputProperties"], set(RESOURCE.get("requiredInputs", [])), None
    spec = SCHEMA["types"][f"{package.NAME}:index:{argsgen.type_name(model)}"]
    return spec["properties"], set(spec.get("required", [])), spec.get("description")


@pytest.mark.parametrize("model", argsgen.models(), ids=lambda m: m.__name__)
def test_schema_and_config_model_have_the_same_fields_and_descriptions(model: type[config.Model]) -> None:
    properties, required, description = _schema_of(model)
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    assert set(properties) == set(fields), "missing in the schema / only in the schema"
    for key, info in fields.items():
        assert properties[key]["description"] == info.description, key
    assert required == {key for key, info in fields.items() if info.is_required()}
    if description is not None:
        assert description == inspect.cleandoc(model.__doc__ or "")


def _expected_kind(kind: Any) -> dict[str, Any]:
    """What the schema must say of a config field's type."""
    model = config_keys.config_model(kind)
    if model is not None:
        return {"$ref": f"#/types/{package.NAME}:index:{argsgen.type_name(model)}"}
    source = argsgen.annotation(kind)
    if source.startswith("list["):
        return {"type": "array"}
    if source.startswith("dict["):
        return {"type": "object"}
    return {"type": {"str": "string", "int": "integer", "bool": "boolean", "float": "number"}[source]}


@pytest.mark.parametrize("model", argsgen.models(), ids=lambda m: m.__name__)
def test_schema_types_follow_the_config_model(model: type[config.Model]) -> None:
    properties, _, _ = _schema_of(model)
    for name, info in model.model_fields.items():
        prop = properties[info.alias or name]
        expected = _expected_kind(info.annotation)
        assert {k: prop.get(k) for k in expected} == expected, name


def _plainness(prop: dict[str, Any], path: str) -> dict[str, bool]:
    out = {path: bool(prop.get("plain"))}
    if "additionalProperties" in prop:
        out |= _plainness(prop["additionalProperties"], f"{path}.*")
    return out


def test_only_the_project_and_credential_values_may_be_outputs() -> None:
    top = {k: v for name, prop in RESOURCE["inputProperties"].items() for k, v in _plainness(prop, name).items()}
    assert {path for path, plain in top.items() if not plain} == NOT_PLAIN
    for token, spec in SCHEMA["types"].items():
        for name, prop in spec["properties"].items():
            # A map of pass-through settings holds values of any type (`pulumi.json#/Any`), not plain ones.
            if prop.get("additionalProperties", {}).get("$ref") != "pulumi.json#/Any":
                assert all(_plainness(prop, name).values()), f"{token}.{name}"


def test_outputs_are_the_stack_outputs_each_documented() -> None:
    result = run_checked("prod", stack_file=STACKS["prod"])
    assert "users" in result.outputs, "prod declares users, so it exports every output"
    assert set(RESOURCE["properties"]) == set(result.outputs)
    assert all(prop.get("description") for prop in RESOURCE["properties"].values())


# --- key names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(STACKS))
def test_stack_config_round_trips_through_args_names(name: str) -> None:
    raw = stack_config(STACKS[name])
    args = config_keys.to_args(raw)
    assert config_keys.to_config(args) == raw
    assert ("kafkaMirrormaker" in str(raw)) == ("kafka_mirrormaker" in str(args))


def test_key_renaming_keeps_unknown_keys_and_provider_names() -> None:
    raw = {"project": "p", "clusters": {"a": {"clod": "x", "kafka": {"logRetentionBytes": 1}}}}
    assert config_keys.to_args(raw) == raw
    args = {"clusters": {"a": {"service_name": "s", "maintenance_window": {"dow": "monday"}}}}
    assert config_keys.to_config(args) == {"clusters": {"a": {"serviceName": "s", "maintenanceWindow": {"dow": "monday"}}}}


# --- hosted: the same resources as the program --------------------------------------------------


def over_the_wire(raw: dict[str, Any], *, project_output: bool) -> dict[str, Any]:
    """Stack config as the provider receives it from a program in another language: camelCase,
    every number a float, credential values secret outputs, and the project an output if asked.
    (The wire does not keep the order of map keys either; this keeps it, so that messages naming
    the first of two clashing keys compare.)"""
    import pulumi

    inputs: dict[str, Any] = _floats({k: v for k, v in raw.items() if k != "credentials"})
    if "credentials" in raw:
        inputs["credentials"] = {k: pulumi.Output.secret(v) for k, v in raw["credentials"].items()}
    if project_output:
        inputs["project"] = pulumi.Output.from_input(inputs["project"])
    return inputs


def _floats(value: Any) -> Any:
    # The wire's only number type is a double (google.protobuf.Value's number_value).
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def test_the_wire_has_one_number_type() -> None:
    value = struct_pb2.Value()
    value.number_value = 70000
    received: Any = json_format.MessageToDict(value)
    assert received == 70000.0 == _floats(70000)
    assert isinstance(received, float) and isinstance(_floats(70000), float)


def hosted_program(project_output: bool) -> None:
    """A program that declares the stack through the component provider, as YAML or TypeScript would."""
    import pulumi

    from replication import program

    raw, _ = program.read_raw_config()
    inputs = over_the_wire(raw, project_output=project_output)
    result = package.ReplicationProvider().construct("replication", package.TOKEN, inputs, pulumi.ResourceOptions())
    for key, value in result.state.items():
        pulumi.export(key, value)


def run_hosted(tmp_path: Path, stack: str, stack_file: Path, *, project_output: bool = False) -> RunResult:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text(
        f"from tests.test_package import hosted_program\n\nhosted_program(project_output={project_output})\n"
    )
    return run_program(stack, tmp_path, stack_file=stack_file)


def _registrations(result: RunResult) -> dict[str, dict[str, Any]]:
    # By URN: registrations are recorded as their RPCs arrive, whose order Pulumi does not fix.
    return {r.urn: dataclasses.asdict(r) for r in result.resources}


def _said(result: RunResult) -> list[tuple[str, str]]:
    """What the run said to the user (the engine's debug lines follow RPC timing)."""
    return [log for log in result.logs if log[0] != "debug"]


@pytest.mark.parametrize("name", sorted(STACKS))
def test_hosted_component_registers_what_the_program_does(tmp_path: Path, name: str) -> None:
    program = run_checked(name, stack_file=STACKS[name])
    hosted = run_hosted(tmp_path, name, STACKS[name])
    assert _registrations(hosted) == _registrations(program)
    assert _said(hosted) == _said(program)
    assert {k: v for k, v in hosted.outputs.items() if k in program.outputs} == program.outputs
    # Without users the program leaves their outputs out; the component has them, empty.
    for key in set(hosted.outputs) - set(program.outputs):
        value = hosted.outputs[key]
        assert key in ("users", "userPasswords") and (value.value if isinstance(value, Secret) else value) == {}


def test_the_project_may_be_an_output(tmp_path: Path) -> None:
    program = run_checked("migration", stack_file=STACKS["migration"])
    hosted = run_hosted(tmp_path, "migration", STACKS["migration"], project_output=True)
    assert _registrations(hosted) == _registrations(program)
    assert "project-known-after-up" not in str(_registrations(hosted))


# --- hosted: the same errors --------------------------------------------------------------------


def _wire_shaped(value: Any, prop: dict[str, Any] | None) -> bool:
    """Whether a program in another language can send `value` as is: string keys the schema knows,
    its required keys present, no nulls. (Otherwise the SDK or engine refuses it first.)"""
    if value is None:
        return False
    if prop is None or prop.get("$ref") == "pulumi.json#/Any":
        return True
    ref = prop.get("$ref")
    if ref is not None:
        spec = SCHEMA["types"][ref.removeprefix("#/types/")]
        return isinstance(value, dict) and _object_shaped(value, spec["properties"], spec.get("required", []))
    if isinstance(value, dict):
        inner = prop.get("additionalProperties")
        return all(isinstance(k, str) and _wire_shaped(v, inner) for k, v in value.items())
    if isinstance(value, list):
        return all(_wire_shaped(v, prop.get("items")) for v in value)
    return True


def _object_shaped(value: dict[str, Any], properties: dict[str, Any], required: list[str]) -> bool:
    return set(required) <= set(value) and all(k in properties and _wire_shaped(v, properties[k]) for k, v in value.items())


def _catalog_config(case: Case) -> dict[str, Any]:
    doc = yaml.safe_load(case.edit(DEV_TEXT))
    return {k.removeprefix(f"{config.NAMESPACE}:"): v for k, v in doc["config"].items()}


def _model_refuses(raw: dict[str, Any]) -> bool:
    # Not the stack file's own traps (a repeated YAML key), which no other language can write.
    try:
        topology.resolve(config.parse(raw))
    except (config.ConfigError, TopologyError):
        return True
    return False


SENDABLE = [
    c for c in CATALOG + REGEX_CASES
    if _object_shaped(_catalog_config(c), RESOURCE["inputProperties"], RESOURCE.get("requiredInputs", []))
    and _model_refuses(_catalog_config(c))
]


def test_most_of_the_bad_config_catalog_can_be_sent_to_the_package() -> None:
    assert len(SENDABLE) >= 30


@pytest.mark.parametrize("case", SENDABLE, ids=lambda c: c.id)
def test_hosted_component_refuses_bad_args_with_the_programs_lines(case: Case) -> None:
    with pytest.raises(InputPropertiesError) as info:
        package.ReplicationProvider().construct(
            "replication", package.TOKEN, over_the_wire(_catalog_config(case), project_output=False)
        )
    header, *lines = info.value.message.splitlines()
    assert header == "invalid Replication args:"
    assert tuple(lines) == case.errors
    assert [f"{config.NAMESPACE}:{e['property_path']}: {e['reason']}" for e in info.value.errors or []] in ([], lines)


def _later(value: Any) -> asyncio.Future[Any]:
    """A value known later. (Not an Output: outside the engine, an Output leaves tasks behind that
    the next program run would wait for; the component treats any awaitable as an Output.)"""
    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
    future.set_result(value)
    return future


def test_adopting_needs_a_plain_project() -> None:
    raw = stack_config(STACKS["dev"]) | {"project": _later("p"), "adopt": {}}
    with pytest.raises(InputPropertiesError) as info:
        package.ReplicationProvider().construct("replication", package.TOKEN, raw)
    assert info.value.errors == [{
        "property_path": "project",
        "reason": "must be a plain string with adopt, not an output: the import IDs are built from it",
    }]


def test_credential_names_must_be_known() -> None:
    raw = stack_config(STACKS["migration"])
    raw["credentials"] = _later(raw["credentials"])
    with pytest.raises(InputPropertiesError) as info:
        package.ReplicationProvider().construct("replication", package.TOKEN, raw)
    assert info.value.message.splitlines()[1:] == [
        f"{config.NAMESPACE}:credentials: must be a map whose names are known at preview; only its values may be outputs"
    ]


# --- programs in other languages ----------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The component's inputs as a JSON Schema: objects closed, as the SDKs and Pulumi YAML make them."""

    def prop(spec: dict[str, Any]) -> dict[str, Any]:
        ref = spec.get("$ref")
        if ref == "pulumi.json#/Any":
            return {}
        if ref is not None:
            return {"$ref": "#/$defs/" + ref.removeprefix("#/types/")}
        out: dict[str, Any] = {"type": spec["type"]}
        if spec["type"] == "array":
            out["items"] = prop(spec["items"])
        elif spec["type"] == "object":
            out["additionalProperties"] = prop(spec["additionalProperties"])
        return out

    def closed(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: prop(spec) for name, spec in properties.items()},
            "required": required,
            "additionalProperties": False,
        }

    return closed(RESOURCE["inputProperties"], RESOURCE.get("requiredInputs", [])) | {
        "$defs": {token: closed(spec["properties"], spec.get("required", [])) for token, spec in SCHEMA["types"].items()}
    }


def _errors(properties: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(properties)]


def test_json_schema_of_the_inputs_catches_typos_and_types() -> None:
    raw = stack_config(STACKS["dev"])
    assert _errors(raw) == []
    raw["clusters"]["source"]["clod"] = "x"
    raw["flows"][0]["enabled"] = "yes"
    assert sorted(_errors(raw)) == [
        "clusters/source: Additional properties are not allowed ('clod' was unexpected)",
        "flows/0/enabled: 'yes' is not of type 'boolean'",
    ]


YAML_PROGRAM = EXAMPLES / "yaml" / "Pulumi.yaml"


def test_yaml_program_validates_against_the_package_schema() -> None:
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    [resource] = program["resources"].values()
    assert resource["type"] == package.TOKEN
    assert _errors(resource["properties"]) == []
    referenced = set(re.findall(r"\$\{replication\.(\w+)\}", YAML_PROGRAM.read_text()))
    assert referenced == set(RESOURCE["properties"])


def test_yaml_program_declares_the_dev_stack() -> None:
    # So the hosted-versus-program test of `dev` covers what it declares.
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    properties = program["resources"]["replication"]["properties"]
    assert properties == stack_config(STACKS["dev"]) | {"project": "${aivenProject}"}
    assert program["config"]["aivenProject"]["default"] == stack_config(STACKS["dev"])["project"]


class Expression(str):
    """A TypeScript expression that is not a literal (`config.require(...)`), standing for a string."""


_TS_TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/
    |(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    |(?P<num>-?\d+(?:\.\d+)?)
    |(?P<word>[A-Za-z_$][\w$]*)
    |(?P<punct>\.\.\.|[{}\[\]():,.;<>=!?`+*/-])""",
    re.S | re.X,
)


def _ts_tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TS_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is not None:
            tokens.append((kind, match.group()))
    return tokens


def ts_literal(tokens: list[tuple[str, str]], i: int) -> tuple[Any, int]:
    """Parse the object literal, array, string, number or boolean at `tokens[i]`; any other
    expression becomes an :class:`Expression`. Returns the value and the next index."""
    kind, text = tokens[i]
    if text == "{":
        obj: dict[str, Any] = {}
        i += 1
        while tokens[i][1] != "}":
            key_kind, key = tokens[i]
            name = ast.literal_eval(key) if key_kind == "str" else key
            if tokens[i + 1][1] == ":":
                obj[name], i = ts_literal(tokens, i + 2)
            else:  # shorthand `{ project }`
                obj[name], i = Expression(key), i + 1
            i += 1 if tokens[i][1] == "," else 0
        return obj, i + 1
    if text == "[":
        items: list[Any] = []
        i += 1
        while tokens[i][1] != "]":
            item, i = ts_literal(tokens, i)
            items.append(item)
            i += 1 if tokens[i][1] == "," else 0
        return items, i + 1
    end = i + 1
    if (kind in ("str", "num") or text in ("true", "false")) and tokens[end][1] in (",", "}", "]"):
        value = {"true": True, "false": False}.get(text) if kind == "word" else ast.literal_eval(text)
        return value, end
    depth, start = 0, i
    while depth or tokens[i][1] not in (",", "}", "]"):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(tokens[i][1], 0)
        i += 1
    return Expression(" ".join(t for _, t in tokens[start:i])), i


def ts_component_args(path: Path) -> dict[str, Any]:
    """The Args literal of the `new <pkg>.Replication("name", {...})` call in a TypeScript program."""
    tokens = _ts_tokens(path.read_text())
    texts = [t for _, t in tokens]
    i = next(i for i in range(len(texts)) if texts[i : i + 3] == ["new", "replication", "."] and texts[i + 3] == "Replication")
    assert texts[i + 4] == "(" and tokens[i + 5][0] == "str" and texts[i + 6] == ","
    args, _ = ts_literal(tokens, i + 7)
    assert isinstance(args, dict)
    return args


TS_PROGRAM = EXAMPLES / "typescript" / "index.ts"


def test_ts_literal_parser() -> None:
    source = textwrap.dedent("""
        new replication.Replication("r", {
            project,  // shorthand
            a: { "b-c": [1, 2.5, 'x'], d: true, },
            e: config.requireSecret("e"),
        });
    """)
    tokens = _ts_tokens(source)
    args, _ = ts_literal(tokens, [t for _, t in tokens].index("{"))
    assert args == {"project": "project", "a": {"b-c": [1, 2.5, "x"], "d": True}, "e": 'config . requireSecret ( "e" )'}
    assert isinstance(args["e"], Expression) and not isinstance(args["a"]["b-c"][2], Expression)


def test_typescript_program_validates_against_the_package_schema() -> None:
    args = ts_component_args(TS_PROGRAM)
    assert _errors(args) == []
    text = TS_PROGRAM.read_text()
    assert 'from "@pulumi/aiven-kafka-replication"' in text
    assert set(re.findall(r"topology\.(\w+)", text)) == set(RESOURCE["properties"])


def test_typescript_program_declares_the_migration_example() -> None:
    args = ts_component_args(TS_PROGRAM)
    expected = stack_config(STACKS["migration"])
    assert isinstance(args["project"], Expression)
    assert all(isinstance(v, Expression) for v in args["credentials"].values())
    assert set(args["credentials"]) == set(expected["credentials"])
    plain = {k: v for k, v in args.items() if k not in ("project", "credentials")}
    assert plain == {k: v for k, v in expected.items() if k not in ("project", "credentials")}
