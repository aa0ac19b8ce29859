"""The Pulumi program: read the stack config, declare it with the public component, export its outputs.

The same code runs under `pulumi preview`/`pulumi up` and under the offline engine.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi

from replication import config, config_keys, stack_limits
from replication.args import ReplicationArgs
from replication.components.replication import InvalidArgs, Replication


def read_raw_config() -> tuple[dict[str, Any], set[str]]:
    """Every key of the project's config namespace, structured values parsed, and which are secret.

    `pulumi.Config` can only fetch keys it is asked for, and warns when a secret is read as plain
    text. To reject typos at the top level and to validate secret entries without logging them,
    the runtime's config map is read directly.
    """
    from pulumi.runtime import config as runtime_config

    prefix = f"{config.NAMESPACE}:"
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    # The CLI names the secret keys in the runtime or, for config from the environment, in
    # PULUMI_CONFIG_SECRET_KEYS: either makes a key secret, so none is read as plain text unnoticed.
    env_secret = set(runtime_config.get_config_secret_keys_env())
    raw: dict[str, Any] = {}
    secret: set[str] = set()
    for full_key in sorted(merged):
        if full_key.startswith(prefix):
            key = full_key.removeprefix(prefix)
            raw[key] = _parse_value(runtime_config.get_config(full_key))
            if runtime_config.is_config_secret(full_key) or full_key in env_secret:
                secret.add(key)
    return raw, secret


def _parse_value(text: str | None) -> Any:
    # Structured config arrives JSON-encoded; scalars arrive as their string form.
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def main() -> Replication:
    """Declare the stack with the public component, from the stack config. Returns the component
    (tests inspect it)."""
    raw, secret_keys = read_raw_config()
    # Bounds on the work first: a few kilobytes can declare minutes of it.
    issues = stack_limits.check(raw) or config.check_stack_secrets(raw, secret_keys)
    if issues:
        # RunError ends the program with the message only: no traceback for a config mistake.
        # One line per issue, each naming its key; the engine prefixes the stack file's name.
        raise pulumi.RunError("\n".join(map(str, issues)))
    try:
        # Credentials arrive as plain strings: the component keeps each a secret Output.
        replication = Replication("replication", cast(ReplicationArgs, config_keys.to_args(raw)))
    except InvalidArgs as err:
        raise pulumi.RunError(err.error) from None
    pulumi.export("clusterServiceNames", replication.cluster_service_names)
    pulumi.export("clusterServiceUris", replication.cluster_service_uris)
    pulumi.export("mirrormakerServiceNames", replication.mirrormaker_service_names)
    pulumi.export("flows", replication.flows)
    pulumi.export("expectedTopics", replication.expected_topics)
    if replication.users:
        # Only with users: stacks without them keep their outputs as they were.
        pulumi.export("users", replication.users)
        pulumi.export("userPasswords", replication.user_passwords)
    pulumi.export("topicOrigins", replication.topic_origins)
    pulumi.export("failoverMap", replication.failover_map)
    # Every flow is listed; without monitoring its list is empty: no lag metric leaves Aiven.
    pulumi.export("replicationLagMetrics", replication.replication_lag_metrics)
    return replication
