"""A cluster alias renamed without `renamedFrom`: say which key keeps the service.

Renaming a cluster's key while keeping its `serviceName` means keeping the Aiven service, but the
alias is part of every URN built for the cluster, so Pulumi sees a service deleted under the old
alias and another created under the new one (and Aiven refuses the create while the old name is
taken). The diff spots that pair: the same service (or external endpoint) name, deleted under one
cluster component and created under another. Pure logic on plan-document resources, no Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from replication.escape import code

if TYPE_CHECKING:
    from replication.diff import Change

#: What keeps a cluster's identity across a rename, by resource type: its name input, and the type
#: of the component (named after the alias) that is its parent.
_IDENTITY: dict[str, tuple[str, str]] = {
    "aiven:index/kafka:Kafka": ("serviceName", "aiven-kafka-replication:index:KafkaCluster"),
    "aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint": (
        "endpointName",
        "aiven-kafka-replication:index:ExternalKafkaCluster",
    ),
}


def _key(resource: Mapping[str, Any]) -> tuple[str, Any, Any, str] | None:
    """(type, project, name input, cluster alias) of a cluster's service or endpoint."""
    identity = _IDENTITY.get(str(resource.get("type")))
    parent = resource.get("parent") or ""
    if identity is None or parent.count("::") < 3 or not parent.rsplit("::", 2)[-2].endswith(identity[1]):
        return None
    inputs = resource.get("inputs", {})
    return str(resource["type"]), inputs.get("project"), inputs.get(identity[0]), parent.rsplit("::", 1)[-1]


def advice(changes: Sequence[Change]) -> dict[str, str]:
    """Name of each deleted service or endpoint that a renamed alias creates again → what to add."""
    created: dict[tuple[str, Any, Any], str] = {}
    for c in changes:
        key = _key(c.after) if c.action == "create" else None
        if key is not None:
            created[key[:3]] = key[3]
    out: dict[str, str] = {}
    for c in changes:
        key = _key(c.before) if c.action == "delete" else None
        if key is None or key[:3] not in created:
            continue
        old, new = key[3], created[key[:3]]
        what = "service" if key[0].endswith(":Kafka") else "endpoint"
        out[c.name] = (
            f"The cluster alias {code(old)} was renamed to {code(new)} with the same {what} name {code(key[2])}: "
            f"to keep the {what}, add {code(f'renamedFrom: {old}')} to {code(f'clusters.{new}')}."
        )
    return out
