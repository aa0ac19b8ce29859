"""Monitoring: every Kafka and MirrorMaker service integrated with each destination; per-flow lag metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replication import aiven_schema, config, monitoring
from replication.engine import RunResult, Secret
from tests.conftest import ROOT, RunStack, run_checked
from tests.test_access import raw_config

ACTIVE_ACTIVE = ROOT / "examples" / "active-active.yaml"
ENDPOINT = "aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint"
INTEGRATION = "aiven:index/serviceIntegration:ServiceIntegration"
EXISTING_ID = "2f8ac9a4-5b1e-4c7d-8e9f-0a1b2c3d4e5f"


def _config(**monitoring_spec: Any) -> config.StackConfig:
    raw = raw_config(ACTIVE_ACTIVE)
    raw["monitoring"] = monitoring_spec
    return config.parse(raw)


def _metrics_integrations(result: RunResult) -> dict[str, Any]:
    return {r.name: r for r in result.of_type(INTEGRATION) if r.inputs["integrationType"] != "kafka_mirrormaker"}


# --- pure ---------------------------------------------------------------------------------------


def test_every_managed_kafka_and_every_mirrormaker_is_monitored() -> None:
    raw = raw_config(ROOT / "examples" / "fan-in.yaml")
    raw["monitoring"] = {"existingEndpoint": {"type": "prometheus", "endpointId": EXISTING_ID}}
    cfg = config.parse(raw)
    managed = [a for a, c in cfg.clusters.items() if c.managed]
    assert "central" in cfg.clusters and "central" not in managed  # the existing cluster is not this stack's
    assert [(s.kind, s.key) for s in monitoring.monitored_services(cfg)] == [
        *(("kafka", a) for a in managed), *(("mirrormaker", k) for k in cfg.mirrormakers)
    ]


DATADOG_FLOW_VALUE = "the replication-flow tag's value for this flow: not documented by Aiven"
PROMETHEUS_UNVERIFIED = [
    "the metric and label names: derived, Aiven documents no MirrorMaker metric for Prometheus",
    "the replication_flow label's value for this flow: not documented by Aiven",
]


def test_lag_metrics_name_each_flow_in_each_destination() -> None:
    cfg = _config(datadog={"apiKey": "datadog-api-key"},
                  existingEndpoint={"type": "prometheus", "endpointId": EXISTING_ID})
    assert [(d.key, d.kind) for d in monitoring.destinations(cfg)] == [("datadog", "datadog"), ("existing", "prometheus")]
    assert monitoring.lag_metrics(cfg)["eu->us"] == [
        {"system": "datadog", "destination": "datadog", "metric": "kafka_mirrormaker_summary.replication_lag",
         "filter": ["aiven-service:mm-us"], "flowKey": "replication-flow", "unverified": [DATADOG_FLOW_VALUE]},
        # No label is claimed to select the MirrorMaker: Aiven documents none; the scrape target does.
        {"system": "prometheus", "destination": "existing", "metric": "kafka_mirrormaker_summary_replication_lag",
         "filter": [], "flowKey": "replication_flow", "unverified": PROMETHEUS_UNVERIFIED},
    ]


def test_no_flow_tag_value_is_claimed_and_an_existing_datadog_endpoint_may_rename_the_service_tag() -> None:
    cfg = _config(existingEndpoint={"type": "datadog", "endpointId": EXISTING_ID})
    [entry] = monitoring.lag_metrics(cfg)["us->eu"]
    assert entry["filter"] == ["aiven-service:mm-eu"]
    assert entry["unverified"] == [
        DATADOG_FLOW_VALUE,
        "the aiven-service tag's prefix: an existing endpoint's extra_tags_prefix may change it",
    ]
    # MirrorMaker's own flow notation (`us->eu`) appears nowhere as a tag: Datadog would store '>' as '_'.
    assert not any("->" in tag for tag in entry["filter"])


def test_the_datadog_lag_metric_is_the_one_aiven_s_schema_allows() -> None:
    node = aiven_schema.option("datadog_integration", ("mirrormakerCustomMetrics",))
    assert node["items"]["enum"] == [monitoring.DATADOG_LAG_METRIC]
    assert list(aiven_schema.check(node, [monitoring.DATADOG_LAG_METRIC], "m")) == []
    # The check can fail: the Prometheus spelling is no Datadog custom metric.
    [finding] = aiven_schema.check(node, [monitoring.PROMETHEUS_LAG_METRIC], "m")
    assert finding.path == "m[0]" and "must be one of 'kafka_mirrormaker_summary.replication_lag'" in finding.message


def test_without_monitoring_no_lag_metric_is_claimed() -> None:
    raw = raw_config(ACTIVE_ACTIVE)
    raw.pop("monitoring")
    assert monitoring.lag_metrics(config.parse(raw)) == {"us->eu": [], "eu->us": []}


@pytest.mark.parametrize(
    ("spec", "line"),
    [
        ({}, "monitoring: names no destination: set prometheus, datadog or existingEndpoint"),
        ({"datadog": {"apiKey": "nope"}}, "monitoring.datadog.apiKey: expected the name of an entry in"),
        # Aiven's own pattern and site list, checked by replication/aiven_schema.py (no second copy).
        ({"prometheus": {"basicAuthUsername": "Prometheus", "basicAuthPassword": "datadog-api-key"}},
         "monitoring.prometheus.basicAuthUsername: must match Aiven's pattern"),
        ({"existingEndpoint": {"type": "datadog", "endpointId": "proj/abc"}},
         "monitoring.existingEndpoint.endpointId: 'proj/abc' is not an Aiven ID (a UUID)"),
        ({"existingEndpoint": {"type": "logs", "endpointId": EXISTING_ID}},
         "monitoring.existingEndpoint.type: Input should be 'prometheus' or 'datadog'"),
        ({"datadog": {"apiKey": "datadog-api-key", "site": "datadoghq.org"}},
         "monitoring.datadog.site: must be one of 'ap1.datadoghq.com', 'ap2.datadoghq.com', 'datadoghq.com',"),
    ],
)
def test_bad_monitoring_config_names_the_key(spec: dict[str, Any], line: str) -> None:
    with pytest.raises(config.ConfigError) as info:
        _config(**spec)
    assert any(str(i).startswith(f"aiven-kafka-replication:{line}") for i in info.value.issues), str(info.value)


def test_endpoint_names_are_unique_in_the_project() -> None:
    raw = raw_config(ROOT / "examples" / "migration.yaml")
    raw["credentials"]["dd"] = "key"
    raw["monitoring"] = {"datadog": {"apiKey": "dd", "endpointName": "onprem-kafka"}}
    with pytest.raises(config.ConfigError, match=r"monitoring.datadog.endpointName: 'onprem-kafka' is already the"
                       r" endpoint name of clusters.onprem.external"):
        config.parse(raw)


# --- through the program ------------------------------------------------------------------------


def test_active_active_sends_every_service_to_datadog_with_the_lag_metric() -> None:
    result = run_checked("active-active", stack_file=ACTIVE_ACTIVE)
    index = result.by_urn()
    [endpoint] = result.of_type(ENDPOINT)
    assert endpoint.name == "monitoring-datadog" and endpoint.inputs["endpointType"] == "datadog"
    key = endpoint.inputs["datadogUserConfig"]["datadogApiKey"]
    assert isinstance(key, Secret) and key.value == "offline-placeholder-for-aiven-kafka-replication:credentials"
    integrations = _metrics_integrations(result)
    assert sorted(integrations) == [
        "monitoring-datadog-kafka-eu", "monitoring-datadog-kafka-us",
        "monitoring-datadog-mirrormaker-mm-eu", "monitoring-datadog-mirrormaker-mm-us",
    ]
    services = {"eu": "eu-kafka", "us": "us-kafka", "mm-eu": "mm-eu-service", "mm-us": "mm-us-service"}
    for name, r in integrations.items():
        assert r.inputs["integrationType"] == "datadog" and r.delete_before_replace
        owner = services[name.split("-", 3)[3]]
        assert {index[u].name for u in result.custom_dependencies(r)} == {owner, "monitoring-datadog"}
        custom = (r.inputs.get("datadogUserConfig") or {}).get("mirrormakerCustomMetrics")
        assert custom == (["kafka_mirrormaker_summary.replication_lag"] if "mirrormaker" in name else None)
    assert max(result.waves().values()) <= 3
    lag = result.outputs["replicationLagMetrics"]
    assert sorted(lag) == ["eu->us", "us->eu"]
    assert lag["us->eu"][0]["filter"] == ["aiven-service:mm-eu"] and lag["us->eu"][0]["flowKey"] == "replication-flow"
    # What the program sends on a MirrorMaker's Datadog integration is within Aiven's schema.
    node = aiven_schema.blocks()["datadog_integration"]
    sent = [r.inputs["datadogUserConfig"] for r in integrations.values() if "datadogUserConfig" in r.inputs]
    assert len(sent) == 2 and all(list(aiven_schema.check(node, c, "datadogUserConfig")) == [] for c in sent)
    assert index[result.named("monitoring").parent or ""].name == "replication"


def test_prod_exposes_every_service_to_prometheus_with_a_secret_password(run_stack: RunStack) -> None:
    result = run_stack("prod")
    [endpoint] = result.of_type(ENDPOINT)
    assert endpoint.inputs["endpointType"] == "prometheus"
    auth = endpoint.inputs["prometheusUserConfig"]
    assert auth["basicAuthUsername"] == "prometheus-scraper" and isinstance(auth["basicAuthPassword"], Secret)
    integrations = _metrics_integrations(result)
    assert sorted(integrations) == [
        "monitoring-prometheus-kafka-source", "monitoring-prometheus-kafka-target", "monitoring-prometheus-mirrormaker-mm",
    ]
    assert {r.inputs["sourceServiceName"] for r in integrations.values()} == {
        "prod-kafka-source", "prod-kafka-target", "prod-mm",
    }
    assert all(r.inputs["integrationType"] == "prometheus" and "datadogUserConfig" not in r.inputs
               for r in integrations.values())
    assert result.outputs["replicationLagMetrics"] == {"source->target": [
        {"system": "prometheus", "destination": "prometheus", "metric": "kafka_mirrormaker_summary_replication_lag",
         "filter": [], "flowKey": "replication_flow", "unverified": PROMETHEUS_UNVERIFIED},
    ]}


def test_an_existing_endpoint_is_referred_to_by_project_and_id(run_stack: RunStack, tmp_path: Path) -> None:
    result = run_stack("dev", monitoring={"existingEndpoint": {"type": "datadog", "endpointId": EXISTING_ID}})
    assert result.of_type(ENDPOINT) == []
    integrations = _metrics_integrations(result)
    assert len(integrations) == 3
    assert {r.inputs["destinationEndpointId"] for r in integrations.values()} == {f"my-aiven-project/{EXISTING_ID}"}
    assert integrations["monitoring-existing-mirrormaker-mm"].inputs["datadogUserConfig"] == {
        "mirrormakerCustomMetrics": ["kafka_mirrormaker_summary.replication_lag"]
    }


def test_stacks_without_monitoring_declare_and_export_nothing_of_it(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert result.of_type(ENDPOINT) == [] and _metrics_integrations(result) == {}
    assert result.outputs["replicationLagMetrics"] == {"source->target": []}


def test_a_renamed_cluster_keeps_its_metrics_integrations(run_stack: RunStack) -> None:
    raw = raw_config(ROOT / "Pulumi.dev.yaml")
    clusters = {("primary" if a == "source" else a): c for a, c in raw["clusters"].items()}
    clusters["primary"] = {**clusters["primary"], "serviceName": "source", "renamedFrom": "source"}
    flows = [{**f, "source": "primary"} for f in raw["flows"]]
    result = run_stack("dev", clusters=clusters, flows=flows,
                  monitoring={"existingEndpoint": {"type": "prometheus", "endpointId": EXISTING_ID}})
    renamed = result.named("monitoring-existing-kafka-primary")
    assert {urn.rsplit("::", 1)[-1] for urn in result.alias_urns(renamed)} == {"monitoring-existing-kafka-source"}
    assert result.alias_urns(result.named("monitoring-existing-kafka-target")) == set()
