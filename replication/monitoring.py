"""Monitoring: which services send metrics where, and which metric tells each flow's replication lag.

Pure logic (no Pulumi). Every Kafka service and every MirrorMaker service this stack creates is
integrated with each configured destination: a `prometheus` endpoint (Aiven exposes the metrics for
a Prometheus server to scrape), a `datadog` endpoint, or an existing endpoint of either type. The
integration type is the endpoint's type.

Replication lag per flow: Aiven's Datadog integration sends `kafka_mirrormaker_summary.replication_lag`
from a MirrorMaker when it is listed in the integration's `mirrormaker_custom_metrics`, tagged with the
replication flow. On Prometheus the same measurement is named with underscores, Prometheus style.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from replication.config import StackConfig

#: The per-flow lag metric Aiven documents for MirrorMaker 2 (a Datadog custom metric).
DATADOG_LAG_METRIC = "kafka_mirrormaker_summary.replication_lag"
#: The same measurement as Prometheus names metrics (`.` is not allowed in a metric name).
PROMETHEUS_LAG_METRIC = "kafka_mirrormaker_summary_replication_lag"

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


def flow_tag(source: str, target: str) -> str:
    """The value of the `replication-flow` tag for a flow: MirrorMaker's own notation."""
    return f"{source}->{target}"


def lag_metrics(cfg: StackConfig) -> dict[str, list[dict[str, Any]]]:
    """For each flow (`<source>-><target>`), the metric and tags to alert on in each destination.

    Every list is empty without `monitoring`: then no lag metric leaves Aiven, and nothing here pretends otherwise."""
    kinds = sorted({d.kind for d in destinations(cfg)})
    out: dict[str, list[dict[str, Any]]] = {}
    for flow in cfg.flows:
        service = cfg.mirrormakers[cfg.flow_mirrormaker(flow)].resolved_service_name(cfg.flow_mirrormaker(flow))
        tag = flow_tag(flow.source, flow.target)
        alerts: list[dict[str, Any]] = []
        for kind in kinds:
            if kind == "datadog":
                alerts.append({"system": "datadog", "metric": DATADOG_LAG_METRIC,
                               "tags": [f"replication-flow:{tag}", f"aiven-service:{service}"]})
            else:
                alerts.append({"system": "prometheus", "metric": PROMETHEUS_LAG_METRIC,
                               "labels": {"replication_flow": tag, "service": service}})
        out[flow.key] = alerts
    return out
