"""The Pulumi program: read stack config, validate it, declare the topology, export outputs.

The same code runs under `pulumi preview`/`pulumi up` and under the offline engine.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from replication import config, topology
from replication.components import Replication, ReplicationArgs
from replication.topicmap import TopologyError


def read_raw_config() -> dict[str, Any]:
    """Every key of the project's config namespace, structured values parsed.

    `pulumi.Config` can only fetch keys it is asked for; to reject typos at the top level we need
    every key the engine passed, so the runtime's config map is read directly.
    """
    from pulumi.runtime import config as runtime_config

    prefix = f"{config.NAMESPACE}:"
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    cfg = pulumi.Config(config.NAMESPACE)
    raw: dict[str, Any] = {}
    for full_key in sorted(merged):
        if full_key.startswith(prefix):
            key = full_key.removeprefix(prefix)
            raw[key] = _parse_value(cfg.get(key))
    return raw


def _parse_value(text: str | None) -> Any:
    # Structured config arrives JSON-encoded; scalars arrive as their string form.
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def load_plan() -> topology.TopologyPlan:
    """Validate the stack config and plan the topology, or stop cleanly with the errors."""
    try:
        return topology.plan(config.parse(read_raw_config()))
    except (config.ConfigError, TopologyError) as err:
        # RunError ends the program with the message only: no traceback for a config mistake.
        raise pulumi.RunError(f"invalid stack config:\n{err}") from None


def main() -> Replication:
    """Declare the stack. Returns the top-level component (tests inspect it)."""
    plan = load_plan()
    replication = Replication("replication", ReplicationArgs(plan=plan))
    pulumi.export("clusterServiceNames", replication.cluster_service_names)
    pulumi.export("clusterServiceUris", replication.cluster_service_uris)
    pulumi.export("mirrormakerServiceNames", replication.mirrormaker_service_names)
    pulumi.export("flows", replication.flow_summaries)
    pulumi.export("expectedTopics", replication.expected_topics)
    return replication
