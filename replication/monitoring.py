"""Monitoring: which services send metrics where, and which metric tells each flow's replication lag.

Pure logic (no Pulumi). Every Kafka service and every MirrorMaker service this stack creates is
integrated with each configured destination: a `prometheus` endpoint (Aiven exposes the metrics for
a Prometheus server to scrape), a `datadog` endpoint, or an existing endpoint of either type. The
integration type is the endpoint's type.

Every name below rests on a public source, or is listed in the entry's `unverified` (sources in
docs/disaster-recovery.md, "Where the lag metric's names come from"):

- Datadog: Aiven documents `kafka_mirrormaker_summary.replication_lag`, sent per replication flow
  when listed in the integration's `mirrormaker_custom_metrics` and tagged with `replication-flow`
  (aiven.io/docs/products/kafka/kafka-mirrormaker/howto/datadog-customised-metrics); it is the only
  value Aiven's integration schema allows there (the `datadog_integration` block of the bounds
  slice, checked by a test). Aiven tags everything it sends with `aiven-service:<service name>`
  (aiven.io/docs/integrations/datadog/add-custom-tags-to-datadog). Not documented: the value of
  `replication-flow` for a flow (Datadog also lowercases tag values and turns characters other than
  letters, digits and `_-:./` into `_`, docs.datadoghq.com/getting_started/tagging).
- Prometheus: Aiven documents no MirrorMaker metric on its Prometheus endpoint. The name is derived:
  the endpoint serves Telegraf's metrics (aiven.io/docs/platform/howto/integrations/prometheus-metrics),
  MirrorMaker's measurement is `kafka_mirrormaker_summary` (aiven.io/docs/products/kafka/kafka-mirrormaker/
  howto/setup-mirrormaker-monitoring), and Telegraf names a Prometheus metric `<measurement>_<field>`
  and replaces `-` in a label name with `_` (influxdata/telegraf plugins/serializers/prometheus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from replication.config import StackConfig

#: The per-flow lag metric Aiven documents for MirrorMaker 2 (a Datadog custom metric).
DATADOG_LAG_METRIC = "kafka_mirrormaker_summary.replication_lag"
#: The Datadog tag Aiven documents on it, one value per replication flow.
DATADOG_FLOW_TAG = "replication-flow"
#: Aiven's standard Datadog tag naming the service (prefix: the endpoint's `extra_tags_prefix`, default `aiven`).
DATADOG_SERVICE_TAG = "aiven-service"
#: Derived, not documented: Telegraf's Prometheus name for measurement `kafka_mirrormaker_summary`,
#: field `replication_lag`.
PROMETHEUS_LAG_METRIC = "kafka_mirrormaker_summary_replication_lag"
#: Derived: Telegraf's Prometheus label for the `replication-flow` tag.
PROMETHEUS_FLOW_LABEL = "replication_flow"

#: What `replicationLagMetrics` cannot vouch for, by reason (each explained in docs/disaster-recovery.md).
UNVERIFIED = {
    "datadog-flow-value": f"the {DATADOG_FLOW_TAG} tag's value for this flow: not documented by Aiven",
    "datadog-tag-prefix": f"the {DATADOG_SERVICE_TAG} tag's prefix: an existing endpoint's extra_tags_prefix "
                          "may change it",
    "prometheus-name": "the metric and label names: derived, Aiven documents no MirrorMaker metric for Prometheus",
    "prometheus-flow-value": f"the {PROMETHEUS_FLOW_LABEL} label's value for this flow: not documented by Aiven",
}

Kind = Literal["prometheus", "datadog"]


@dataclass(frozen=True)
class Destination:
    """Where metrics go: an endpoint this stack creates, or an existing one."""

    key: str
    """`prometheus`, `datadog` or `existing`: the config key, and part of resource names."""
    kind: Kind
    """The endpoint type, which is also the integration type."""
    endpoint_id: str | None = None
    """An existing endpoint's ID (UUID); None for one this stack creates."""


@dataclass(frozen=True)
class MonitoredService:
    """A service whose metrics are sent."""

    kind: Literal["kafka", "mirrormaker"]
    key: str
    """Cluster alias or MirrorMaker key."""
    service_name: str
    renamed_from: str | None = None
    """A cluster's previous alias (its `renamedFrom`), which its integrations' old names carry."""


def destinations(cfg: StackConfig) -> list[Destination]:
    """The configured destinations, in a fixed order."""
    spec = cfg.monitoring
    if spec is None:
        return []
    found: list[Destination] = []
    if spec.prometheus is not None:
        found.append(Destination("prometheus", "prometheus"))
    if spec.datadog is not None:
        found.append(Destination("datadog", "datadog"))
    if spec.existing_endpoint is not None:
        found.append(Destination("existing", spec.existing_endpoint.type, spec.existing_endpoint.endpoint_id))
    return found


def monitored_services(cfg: StackConfig) -> list[MonitoredService]:
    """Kafka services this stack creates, then every MirrorMaker: those it can integrate."""
    services = [MonitoredService("kafka", alias, c.resolved_service_name(alias), c.renamed_from)
                for alias, c in cfg.clusters.items() if c.managed]
    services += [MonitoredService("mirrormaker", key, mm.resolved_service_name(key))
                 for key, mm in cfg.mirrormakers.items()]
    return services


def lag_metrics(cfg: StackConfig) -> dict[str, list[dict[str, Any]]]:
    """For each flow (`<source>-><target>`), the lag metric to alert on in each destination: `system`,
    `destination` (config key), `metric`, `filter` (tags or labels that select its MirrorMaker),
    `flowKey` (the tag or label that tells flows apart) and `unverified` (what no public source
    confirms, so check it against what the endpoint receives before relying on an alert).

    Every list is empty without `monitoring`: then no lag metric leaves Aiven, and nothing here pretends otherwise."""
    dests = destinations(cfg)
    out: dict[str, list[dict[str, Any]]] = {}
    for flow in cfg.flows:
        key = cfg.flow_mirrormaker(flow)
        service = cfg.mirrormakers[key].resolved_service_name(key)
        alerts: list[dict[str, Any]] = []
        for dest in dests:
            if dest.kind == "datadog":
                unverified = ["datadog-flow-value"] + (["datadog-tag-prefix"] if dest.endpoint_id else [])
                alerts.append({"system": "datadog", "destination": dest.key, "metric": DATADOG_LAG_METRIC,
                               "filter": [f"{DATADOG_SERVICE_TAG}:{service}"], "flowKey": DATADOG_FLOW_TAG,
                               "unverified": [UNVERIFIED[u] for u in unverified]})
            else:
                # Prometheus scrapes each service's own endpoint: the scrape target selects the MirrorMaker.
                alerts.append({"system": "prometheus", "destination": dest.key, "metric": PROMETHEUS_LAG_METRIC,
                               "filter": [], "flowKey": PROMETHEUS_FLOW_LABEL,
                               "unverified": [UNVERIFIED["prometheus-name"], UNVERIFIED["prometheus-flow-value"]]})
        out[flow.key] = alerts
    return out
