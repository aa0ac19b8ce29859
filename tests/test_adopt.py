"""Adopt mode: the existing Terraform recipe's resources are imported with the provider's IDs, never created."""

from __future__ import annotations

from typing import Any

import pytest

from replication import adoption, config, render
from replication.engine import ProgramError
from tests.conftest import ROOT, RunStack, run_checked
from tests.test_config import dev_raw, errors_of

SOURCE_ID = "6f1c3a52-8d0e-4b7a-9a55-0c2f3e4d5a61"
TARGET_ID = "a2b4c6d8-1e3f-4a5b-8c7d-9e0f1a2b3c4d"
ADOPT: dict[str, Any] = {"integrations": {"mm": {"source": SOURCE_ID, "target": TARGET_ID}}}


def test_id_formats_are_the_providers() -> None:
    assert adoption.service_id("proj", "kafka-a") == "proj/kafka-a"
    assert adoption.topic_id("proj", "kafka-a", "orders.v1") == "proj/kafka-a/orders.v1"
    assert adoption.integration_id("proj", SOURCE_ID) == f"proj/{SOURCE_ID}"
    assert adoption.flow_id("proj", "mm", "source", "target") == "proj/mm/source/target"


def test_adopt_imports_every_resource_of_the_recipe(run_stack: RunStack) -> None:
    result = run_stack("dev", adopt=ADOPT)
    imports = {r.name: r.import_id for r in result.resources if r.custom}
    assert imports == {
        "source-kafka": "my-aiven-project/source",
        "target-kafka": "my-aiven-project/target",
        "source-topic-topic-a": "my-aiven-project/source/topic-a",
        "target-topic-topic-b": "my-aiven-project/target/topic-b",
        "mm-service": "my-aiven-project/mm",
        "mm-integration-source": f"my-aiven-project/{SOURCE_ID}",
        "mm-integration-target": f"my-aiven-project/{TARGET_ID}",
        "source-to-target-flow": "my-aiven-project/mm/source/target",
    }


def test_adopt_uses_the_configured_service_names(run_stack: RunStack) -> None:
    result = run_stack("prod", adopt=ADOPT)
    assert result.named("source-kafka").import_id == "my-aiven-project/prod-kafka-source"
    assert result.named("target-topic-topic-b").import_id == "my-aiven-project/prod-kafka-target/topic-b"
    assert result.named("source-to-target-flow").import_id == "my-aiven-project/prod-mm/source/target"


def test_adopt_changes_no_input(run_stack: RunStack) -> None:
    # Imported inputs must equal the real resource's: adopt mode only adds the import option.
    plain = {r.urn: r.inputs for r in run_stack("dev").resources}
    adopted = {r.urn: r.inputs for r in run_stack("dev", adopt=ADOPT).resources}
    assert adopted == plain


def test_without_adopt_nothing_is_imported(run_stack: RunStack) -> None:
    assert all(r.import_id is None for r in run_stack("dev").resources)


def test_offline_plan_shows_only_imports_of_aiven_resources(run_stack: RunStack) -> None:
    text = render.text(run_stack("dev", adopt=ADOPT))
    aiven_lines = [line for line in text.splitlines() if " aiven:index/" in line]
    assert len(aiven_lines) == 8
    assert all(
        line.startswith(" = ") and " import  [" in line and "import=my-aiven-project/" in line for line in aiven_lines
    )
    assert "    + 6 to create (0 Aiven resources, 5 components, 1 stack)\n    = 8 to import\n" in text
    # Without adopt mode nothing is imported and the summary is unchanged.
    assert "= " not in render.text(run_stack("dev")).split("Resources:")[1]


def test_markdown_plan_counts_imports_not_creates(run_stack: RunStack) -> None:
    from replication import markdown

    adopted = markdown.plan_comment(render.plan_document(run_stack("dev", adopt=ADOPT)))
    assert "| Aiven resources to create | 0 |" in adopted
    assert "| Aiven resources to import (adopt mode) | 8 |" in adopted
    plain = markdown.plan_comment(render.plan_document(run_stack("dev")))
    assert "| Aiven resources to create | 8 |" in plain and "to import" not in plain


def test_adopt_needs_every_integration_id() -> None:
    raw = {**dev_raw(), "adopt": {"integrations": {"mm": {"source": SOURCE_ID}}}}
    assert errors_of(raw) == [
        "aiven-kafka-replication:adopt.integrations.mm.target: required in adopt mode: the ID of MirrorMaker 'mm''s "
        "integration with cluster 'target'; read it from the Terraform state: `terraform state show <resource>`, "
        "attribute integration_id"
    ]


def test_adopt_without_ids_names_each_missing_one() -> None:
    issues = errors_of({**dev_raw(), "adopt": {}})
    assert [i.split(": ", 1)[0] for i in issues] == [
        "aiven-kafka-replication:adopt.integrations.mm.source",
        "aiven-kafka-replication:adopt.integrations.mm.target",
    ]


@pytest.mark.parametrize(
    ("adopt", "expected"),
    [
        (
            {"integrations": {"mm": {"source": SOURCE_ID, "target": TARGET_ID}, "mm2": {"source": SOURCE_ID}}},
            "aiven-kafka-replication:adopt.integrations.mm2: unknown MirrorMaker 'mm2' (declared: mm)",
        ),
        (
            {
                "integrations": {
                    "mm": {"source": SOURCE_ID, "target": TARGET_ID, "other": "0" * 8 + "-0000-0000-0000-" + "0" * 12}
                }
            },
            "aiven-kafka-replication:adopt.integrations.mm.other: MirrorMaker 'mm' has no integration with cluster 'other' (it attaches: source, target)",
        ),
        (
            {"integrations": {"mm": {"source": SOURCE_ID, "target": SOURCE_ID}}},
            f"aiven-kafka-replication:adopt.integrations.mm.target: '{SOURCE_ID}' is already the ID given at adopt.integrations.mm.source",
        ),
        (
            {"integrations": {"mm": {"source": "not-a-uuid", "target": TARGET_ID}}},
            "aiven-kafka-replication:adopt.integrations.mm.source: 'not-a-uuid' is not an Aiven ID (a UUID)",
        ),
        (
            {"integrations": {"mm": {"source": f"my-aiven-project/{SOURCE_ID}", "target": TARGET_ID}}},
            f"aiven-kafka-replication:adopt.integrations.mm.source: 'my-aiven-project/{SOURCE_ID}' is not an Aiven ID "
            "(a UUID); give only the part after the project (Terraform's ID is `<project>/<id>`)",
        ),
        (
            {**ADOPT, "endpoints": {"source": SOURCE_ID}},
            "aiven-kafka-replication:adopt.endpoints.source: 'source' is not an external cluster (external: none)",
        ),
        (
            {**ADOPT, "integration": {}},
            "aiven-kafka-replication:adopt.integration: unknown key (a typo?) with value {}; did you mean 'integrations'?",
        ),
    ],
)
def test_adopt_config_is_strict(adopt: dict[str, Any], expected: str) -> None:
    assert errors_of({**dev_raw(), "adopt": adopt}) == [expected]


MIGRATION = ROOT / "examples" / "migration.yaml"
ENDPOINT_ID = "0b7e5f3a-2c4d-4e6f-8a9b-1c2d3e4f5a6b"
MIGRATION_ADOPT: dict[str, Any] = {
    "integrations": {"mm-migration": {"onprem": SOURCE_ID, "aiven": TARGET_ID}},
    "endpoints": {"onprem": ENDPOINT_ID},
}


def test_adopt_needs_the_endpoint_id_of_external_clusters() -> None:
    adopt = {"integrations": MIGRATION_ADOPT["integrations"]}
    with pytest.raises(ProgramError) as info:
        run_checked("migration", stack_file=MIGRATION, adopt=adopt)
    assert str(info.value).splitlines() == [
        f"{MIGRATION.name}: aiven-kafka-replication:adopt.endpoints.onprem: required in adopt mode: the ID of external cluster 'onprem''s integration endpoint"
    ]
    assert info.value.partial is not None and info.value.partial.resources == []


def test_adopt_imports_external_endpoints(run_stack: RunStack) -> None:
    result = run_stack("migration", stack_file=MIGRATION, adopt=MIGRATION_ADOPT)
    assert result.named("onprem-endpoint").import_id == f"my-aiven-project/{ENDPOINT_ID}"
    assert result.named("mm-migration-integration-onprem").import_id == f"my-aiven-project/{SOURCE_ID}"
    assert all(r.import_id for r in result.resources if r.custom)


def test_adopt_and_protect_together_work_but_warn(run_stack: RunStack) -> None:
    result = run_stack("prod", adopt=ADOPT)
    kafka = result.named("source-kafka")
    assert kafka.protect and kafka.import_id == "my-aiven-project/prod-kafka-source"
    # Beside prod's deprecated Kafka 3.8 (tests/test_protection.py), the adopt warning, only with adopt.
    # (and its single-copy topic, a failover warning: tests/test_failover.py)
    others = ("kafkaVersion", "failover:")
    assert [msg for level, msg in result.logs if level == "warning" and not any(o in msg for o in others)] == [
        "aiven-kafka-replication:protect: true while adopting: the import fails unless every existing service "
        "already has Aiven termination protection (the recipe's do not); adopt with protect: false, then turn it on"
    ]
    assert [log for log in run_stack("prod").logs if log[0] == "warning" and not any(o in log[1] for o in others)] == []


def test_each_integration_imports_the_id_configured_for_its_cluster(run_stack: RunStack) -> None:
    # The parent computes every import ID (components are told theirs); a missing ID is a config
    # error (test_adopt_needs_every_integration_id), never an integration created beside the old one.
    result = run_stack("prod", adopt=ADOPT)
    integrations = result.of_type("aiven:index/serviceIntegration:ServiceIntegration")
    # Prod's metrics integrations are new: created, not imported (tests/test_monitoring.py).
    integrations = [r for r in integrations if r.inputs["integrationType"] == "kafka_mirrormaker"]
    assert {r.name: r.import_id for r in integrations} == {
        "mm-integration-source": f"my-aiven-project/{SOURCE_ID}",
        "mm-integration-target": f"my-aiven-project/{TARGET_ID}",
    }


def test_adopt_needs_a_literal_project() -> None:
    with pytest.raises(TypeError, match="plain string"):
        adoption.service_id(object(), "kafka")


def test_parsed_adopt_spec_keeps_the_ids() -> None:
    cfg = config.parse({**dev_raw(), "adopt": ADOPT})
    assert cfg.adopt is not None and cfg.adopt.integrations == {"mm": {"source": SOURCE_ID, "target": TARGET_ID}}
