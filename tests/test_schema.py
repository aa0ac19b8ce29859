"""The published JSON Schema of stack files: in sync with the model, referenced by every stack file,
accepting every committed stack and refusing the typos and wrong types editors should flag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from replication import cli
from tests.conftest import ROOT
from tests.test_bad_config_catalog import CATALOG, DEV_TEXT

SCHEMA_PATH = ROOT / "schema" / "stack-config.schema.json"
STACK_FILES = sorted([*ROOT.glob("Pulumi.*.yaml"), *ROOT.glob("examples/*.yaml")])


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(doc: Any) -> list[jsonschema.ValidationError]:
    return sorted(_validator().iter_errors(doc), key=lambda err: list(err.absolute_path))


def _leaves(errors: list[jsonschema.ValidationError]) -> list[tuple[list[str | int], str]]:
    # Optional blocks are `anyOf: [block, null]`: the precise error is inside the anyOf's context.
    found: list[tuple[list[str | int], str]] = []
    for err in errors:
        found.append((list(err.absolute_path), err.message))
        found += _leaves(list(err.context or []))
    return found


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text() == cli.schema_text(), (
        "schema/stack-config.schema.json is stale: python -m replication schema > schema/stack-config.schema.json"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_committed_stacks_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in STACK_FILES}
    assert {"Pulumi.dev.yaml", "Pulumi.prod.yaml"} <= names
    assert any(n.startswith("examples/") for n in names)


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_stack_file_references_the_schema(path: Path) -> None:
    # The YAML language server reads the modeline from the first line, relative to the file.
    first = path.read_text().splitlines()[0]
    relative = "." if path.parent == ROOT else ".."
    assert first == f"# yaml-language-server: $schema={relative}/schema/{SCHEMA_PATH.name}"
    assert (path.parent / first.split("=", 1)[1]).resolve() == SCHEMA_PATH


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_stack_file_is_valid_against_the_schema(path: Path) -> None:
    errors = _errors(yaml.safe_load(path.read_text()))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_other_namespaces_are_left_to_their_owners() -> None:
    doc = yaml.safe_load(DEV_TEXT)
    doc["config"]["aiven:apiToken"] = {"secure": "v1:abc"}
    doc["config"]["pulumi:tags"] = {"team": "platform"}
    assert _errors(doc) == []


BY_ID = {case.id: case for case in CATALOG}

# Catalog entries an editor flags as you type: (catalog id, JSON path of the error, words of its message).
SCHEMA_CATCHES: list[tuple[str, list[str | int], str]] = [
    ("typo-top-level", ["config"], "'aiven-kafka-replication:flow' does not match any of the regexes"),
    ("typo-cluster", ["config", "aiven-kafka-replication:clusters", "source"], "'plann' was unexpected"),
    ("typo-maintenance-window", ["config", "aiven-kafka-replication:clusters", "target", "maintenanceWindow"],
     "'day' was unexpected"),
    ("typo-topic", ["config", "aiven-kafka-replication:clusters", "source", "topics", "topic-a"],
     "'partition' was unexpected"),
    ("typo-flow", ["config", "aiven-kafka-replication:flows", 0], "'topicExclude' was unexpected"),
    ("kafka-unknown-property", ["config", "aiven-kafka-replication:clusters", "source", "kafka"],
     "'logRetentionByte' was unexpected"),
    ("kafka-wrong-type", ["config", "aiven-kafka-replication:clusters", "target", "kafka", "logRetentionBytes"],
     "'lots' is not valid"),
    ("partitions-string", ["config", "aiven-kafka-replication:clusters", "source", "topics", "topic-a", "partitions"],
     "'3' is not of type 'integer'"),
    ("project-missing", ["config"], "'aiven-kafka-replication:project' is a required property"),
    ("clusters-list", ["config", "aiven-kafka-replication:clusters"], "is not of type 'object'"),
    ("yaml-kafka-version-3.10", ["config", "aiven-kafka-replication:clusters", "source", "kafkaVersion"],
     "3.1 is not valid"),
    ("dow-unknown", ["config", "aiven-kafka-replication:clusters", "source", "maintenanceWindow", "dow"],
     "'funday' is not one of"),
    ("topic-config-enum", ["config", "aiven-kafka-replication:clusters", "source", "topics", "topic-a", "config",
                           "cleanupPolicy"], "'forever' is not valid"),
    ("mirrormaker-wrong-type", ["config", "aiven-kafka-replication:mirrormakers", "mm", "kafkaMirrormaker",
                                "refreshTopicsEnabled"], "'true' is not valid"),
    ("partitions-zero", ["config", "aiven-kafka-replication:clusters", "source", "topics", "topic-a", "partitions"],
     "0 is less than the minimum of 1"),
    ("replication-policy-unknown", ["config", "aiven-kafka-replication:flows", 0, "replicationPolicy"],
     "'mirror' is not one of ['default', 'identity']"),
]


@pytest.mark.parametrize(("case_id", "path", "words"), SCHEMA_CATCHES, ids=[c[0] for c in SCHEMA_CATCHES])
def test_schema_refuses_catalog_entries(case_id: str, path: list[str | int], words: str) -> None:
    doc = yaml.safe_load(BY_ID[case_id].edit(DEV_TEXT))
    found = _leaves(_errors(doc))
    assert any(at == path and words in message for at, message in found), found


def test_schema_wants_credentials_encrypted() -> None:
    doc = yaml.safe_load(DEV_TEXT)
    key = "aiven-kafka-replication:credentials"
    doc["config"][key] = {"onprem-sasl-password": "hunter2"}
    found = _leaves(_errors(doc))
    assert (["config", key, "onprem-sasl-password"], "'hunter2' is not of type 'object'") in found, found
    doc["config"][key] = {"onprem-sasl-password": {"secure": "v1:ciphertext"}}
    assert _errors(doc) == []
    doc["config"][key] = {"secure": "v1:ciphertext"}  # the whole map set as one secret
    assert _errors(doc) == []
