"""The policy pack's rules, as pure functions over resources: no Pulumi imports.

Each rule takes the resources it may look at (one for resource-level rules, the whole stack for
stack-level ones) and the policy's config, and returns violations. `policy/__main__.py` wraps them
for `pulumi preview --policy-pack policy`; the tests feed them what the offline engine records.

A resource is its type token, its inputs (plain values; :data:`UNKNOWN` where a value is only
known after `up`), its Pulumi `protect` option and its property dependencies.

The pack stands alone: the CLI runs `policy/` as a script in its own virtualenv
(`policy/requirements.txt`), without the repository on `sys.path`, and `pulumi policy publish` ships
only that directory. So nothing here imports `replication`, even where the program has a twin check
(open ip filters in `config.py`, identity cycles in `topicmap.py`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

KAFKA = "aiven:index/kafka:Kafka"
MIRRORMAKER = "aiven:index/kafkaMirrorMaker:KafkaMirrorMaker"
TOPIC = "aiven:index/kafkaTopic:KafkaTopic"
INTEGRATION = "aiven:index/serviceIntegration:ServiceIntegration"
FLOW = "aiven:index/mirrorMakerReplicationFlow:MirrorMakerReplicationFlow"
ENDPOINT = "aiven:index/serviceIntegrationEndpoint:ServiceIntegrationEndpoint"

#: Services that hold or move the stack's data, and so are protected with the stack.
SERVICES = (KAFKA, MIRRORMAKER)
_USER_CONFIG = {KAFKA: "kafkaUserConfig", MIRRORMAKER: "kafkaMirrormakerUserConfig"}

IDENTITY_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"

#: Names a flow's exclusions must cover: Kafka's own internal topics and any other `__` topic.
INTERNAL_TOPIC_PROBES = ("__consumer_offsets", "__transaction_state", "__cluster_metadata", "__schemas", "__X-y.z_0")


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""A value only known after `pulumi up` (an output of a resource not created yet)."""


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it."""

    urn: str
    type: str
    inputs: Mapping[str, Any]
    protect: bool = False
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """URNs each input depends on (known in stack policies only)."""

    @property
    def name(self) -> str:
        """The logical name, the URN's last part."""
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Violation:
    """One policy violation, about one resource (or the stack when `urn` is None)."""

    message: str
    urn: str | None = None


Check = Callable[[Sequence[Resource], Mapping[str, Any]], list[Violation]]


@dataclass(frozen=True)
class Rule:
    """A policy: its name, what it checks, how hard it is enforced, and its check."""

    name: str
    description: str
    enforcement: Literal["mandatory", "advisory"]
    scope: Literal["resource", "stack"]
    """`resource` rules run on each resource before it is created; `stack` rules see every resource."""
    check: Check
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON Schema of the policy's config properties (`--policy-pack-config`)."""


# --- protection ---------------------------------------------------------------------------------

REQUIRE_PROTECTION: Mapping[str, Mapping[str, Any]] = {
    "requireProtection": {
        "type": "boolean",
        "default": False,
        "description": "Treat the stack as protected even if no service is (set it for production stacks).",
    }
}


def protection_on(resources: Iterable[Resource], config: Mapping[str, Any]) -> bool:
    """Whether the stack is protected: required by the policy config, or any service has Aiven
    termination protection (the program sets it on every service when `protect: true`)."""
    return bool(config.get("requireProtection")) or any(
        r.type in SERVICES and r.inputs.get("terminationProtection") is True for r in resources
    )


def protected_services(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Violation]:
    """With protection on, every Kafka and MirrorMaker service has Aiven termination protection and
    Pulumi `protect`, and every topic has Pulumi `protect`."""
    if not protection_on(resources, config):
        return []
    out: list[Violation] = []
    for r in resources:
        if r.type in SERVICES and r.inputs.get("terminationProtection") is not True:
            out.append(Violation(f"{r.name}: Aiven termination protection is off on a protected stack", r.urn))
        if r.type in (*SERVICES, TOPIC) and not r.protect:
            out.append(Violation(f"{r.name}: not Pulumi-protected on a protected stack (protect: true)", r.urn))
    return out


_IP_FILTER_KEYS = ("ipFilterStrings", "ipFilters", "ipFilterObjects")


def ip_filter_unknown(resource: Resource) -> bool:
    """Whether the service's ip filter is only known after `up` (it cannot be judged yet)."""
    user_config = resource.inputs.get(_USER_CONFIG[resource.type])
    if user_config is UNKNOWN:
        return True
    values = [user_config.get(k) for k in _IP_FILTER_KEYS] if isinstance(user_config, Mapping) else []
    return any(v is UNKNOWN or (isinstance(v, list) and any(map(_holds_unknown, v))) for v in values)


def _holds_unknown(entry: object) -> bool:
    # A filter entry is a CIDR string, or an object whose `network` may itself be unknown.
    return entry is UNKNOWN or (isinstance(entry, Mapping) and entry.get("network") is UNKNOWN)


def ip_networks(resource: Resource) -> list[str] | None:
    """The service's allowed networks from every ip filter form, or None when none is set."""
    user_config = resource.inputs.get(_USER_CONFIG[resource.type])
    if not isinstance(user_config, Mapping):
        return None
    found: list[str] | None = None
    for key in ("ipFilterStrings", "ipFilters"):
        value = user_config.get(key)
        if isinstance(value, list):
            found = (found or []) + [v for v in value if isinstance(v, str)]
    objects = user_config.get("ipFilterObjects")
    if isinstance(objects, list):
        found = (found or []) + [
            o["network"] for o in objects if isinstance(o, Mapping) and isinstance(o.get("network"), str)
        ]
    return found


_WHOLE = {4: "IPv4", 6: "IPv6"}
# IPv4-mapped IPv6 addresses (RFC 4291 2.5.5.2): a dual-stack listener sees IPv4 clients as
# ::ffff:a.b.c.d. Aiven does not document whether its ip_filter matches them (a packet filter would
# not); counted as the IPv4 network they map, so a possibly open filter is never passed (docs/policy.md).
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def open_families(networks: Iterable[str]) -> list[str]:
    """The address families (`IPv4`, `IPv6`) that the networks together cover entirely, as an ip
    filter admits them: `["0.0.0.0/1", "128.0.0.0/1"]` is all of IPv4, as open as `0.0.0.0/0`.
    Entries that are not networks are skipped (the config checks refuse them). An entry in
    IPv4-mapped form (`::ffff:0.0.0.0/96`) also counts as the IPv4 network it maps."""
    parsed: dict[int, list[ipaddress.IPv4Network | ipaddress.IPv6Network]] = {4: [], 6: []}
    for network in networks:
        try:
            net = ipaddress.ip_network(network, strict=False)
        except ValueError:
            continue
        parsed[net.version].append(net)
        if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_MAPPED):
            mapped = net.network_address.ipv4_mapped
            assert mapped is not None  # every address of the range maps
            parsed[4].append(ipaddress.IPv4Network((mapped, net.prefixlen - 96)))
    return [
        _WHOLE[version]
        for version, nets in parsed.items()
        if any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(nets))  # type: ignore[type-var]
    ]


def is_open(network: str) -> bool:
    """Whether one network admits every address (`0.0.0.0/0`, `::/0`)."""
    return bool(open_families([network]))


def no_open_ip_filter(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Violation]:
    """With protection on, every Kafka and MirrorMaker service has an explicit ip filter that does
    not admit the whole internet. A missing filter is Aiven's default, `0.0.0.0/0`."""
    if not protection_on(resources, config):
        return []
    out: list[Violation] = []
    for r in resources:
        if r.type not in SERVICES or ip_filter_unknown(r):
            continue
        networks = ip_networks(r)
        if not networks:
            out.append(Violation(f"{r.name}: no ip filter, so Aiven's default admits the whole internet", r.urn))
            continue
        out += [
            Violation(f"{r.name}: ip filter {n!r} admits the whole internet", r.urn) for n in networks if is_open(n)
        ]
        out += [
            Violation(f"{r.name}: ip filter {networks!r} {together(family)}", r.urn)
            for family in open_only_together(networks)
        ]
    return out


def open_only_together(networks: Sequence[str]) -> list[str]:
    """The families the networks cover only together, not through one `/0` entry (reported alone)."""
    alone = {family for n in networks for family in open_families([n])}
    return [family for family in open_families(networks) if family not in alone]


def together(family: str) -> str:
    """How a filter whose networks only together cover a family is reported, here and in the config."""
    return f"together covers all of {family}, so it admits the whole internet"


# --- flows and topics ---------------------------------------------------------------------------


def _java_pattern(pattern: str) -> re.Pattern[str] | None:
    # Java's and Python's syntax agree on what topic patterns use (topicmap's translation is out of
    # the pack's reach); one Python refuses matches nothing.
    try:
        return re.compile(pattern)
    except re.error:
        return None


def flows_exclude_internal_topics(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Violation]:
    """Every flow's exclusions cover `__.*`: replicating `__consumer_offsets` or
    `__transaction_state` would write into the target's own internal topics."""
    out: list[Violation] = []
    for r in resources:
        if r.type != FLOW:
            continue
        excludes = r.inputs.get("topicsBlacklists")
        if excludes is UNKNOWN:
            continue
        patterns = [p for p in (_java_pattern(x) for x in excludes or [] if isinstance(x, str)) if p is not None]
        missed = [t for t in INTERNAL_TOPIC_PROBES if not any(p.fullmatch(t) for p in patterns)]
        if missed:
            out.append(
                Violation(
                    f"{r.name}: topicsBlacklists {list(excludes or [])!r} does not exclude internal topics "
                    f"such as {missed[0]!r}; add '__.*'",
                    r.urn,
                )
            )
    return out


def replication_at_least_two(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Violation]:
    """Topics (declared ones, and those flows create) keep at least two replicas."""
    out: list[Violation] = []
    for r in resources:
        key = {TOPIC: "replication", FLOW: "replicationFactor"}.get(r.type)
        value = r.inputs.get(key) if key else None
        if isinstance(value, int) and not isinstance(value, bool) and value < 2:
            out.append(Violation(f"{r.name}: {key} {value} keeps a single copy; one broker failure loses data", r.urn))
    return out


# --- identity cycles ----------------------------------------------------------------------------


def _integration_alias(resource: Resource) -> Any:
    user_config = resource.inputs.get("kafkaMirrormakerUserConfig")
    return user_config.get("clusterAlias", UNKNOWN) if isinstance(user_config, Mapping) else UNKNOWN


def flow_alias(
    flow: Resource, end: Literal["sourceCluster", "targetCluster"], index: Mapping[str, Resource]
) -> str | None:
    """A flow's source or target alias. During a preview of new resources it is unknown (it is an
    integration's output), so it is read from the integration the input depends on."""
    value = flow.inputs.get(end, UNKNOWN)
    if isinstance(value, str):
        return value
    for urn in flow.property_dependencies.get(end, ()):
        dep = index.get(urn)
        if dep is not None and dep.type == INTEGRATION:
            alias = _integration_alias(dep)
            if isinstance(alias, str):
                return alias
    return None


def _cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    # Tarjan's strongly connected components; a component of several nodes, or a node with an edge
    # to itself, is a cycle. Unlike topicmap's search, which stops at the first cycle, this finds all
    # of them, so the rule can name every flow involved.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def no_identity_cycles(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Violation]:
    """Enabled identity-policy flows form no directed cycle of cluster aliases, across all
    MirrorMakers: identity keeps topic names, so MirrorMaker cannot tell a copy from the original and
    records would circle forever. Aliases name clusters stack-wide (this program uses the config key)."""
    index = {r.urn: r for r in resources}
    edges: dict[str, set[str]] = {}
    flows_by_edge: dict[tuple[str, str], list[Resource]] = {}
    for r in resources:
        if (
            r.type != FLOW
            or r.inputs.get("replicationPolicyClass") != IDENTITY_POLICY
            or r.inputs.get("enable") is False
        ):
            continue
        source, target = flow_alias(r, "sourceCluster", index), flow_alias(r, "targetCluster", index)
        if source is None or target is None:
            continue
        edges.setdefault(source, set()).add(target)
        edges.setdefault(target, set())
        flows_by_edge.setdefault((source, target), []).append(r)
    out: list[Violation] = []
    for component in _cycles(edges):
        members = set(component)
        involved = [
            (s, t, f) for (s, t), fs in sorted(flows_by_edge.items()) if s in members and t in members for f in fs
        ]
        names = ", ".join(f"{f.name} ({s} -> {t})" for s, t, f in involved)
        out.append(
            Violation(
                f"identity-policy flows form a cycle between clusters {', '.join(component)}: {names}; "
                "use the default policy on at least one of them",
                involved[0][2].urn,
            )
        )
    return out


# --- transport to external clusters ---------------------------------------------------------------


def _plaintext_aliases(resources: Sequence[Resource]) -> dict[str, str]:
    """Cluster alias → endpoint name of every external cluster MirrorMaker reaches over PLAINTEXT: the
    alias of each integration whose `sourceEndpointId` comes from a PLAINTEXT `external_kafka` endpoint."""
    plaintext: dict[str, str] = {}
    for r in resources:
        user_config = r.inputs.get("externalKafkaUserConfig")
        if (r.type == ENDPOINT and r.inputs.get("endpointType") == "external_kafka"
                and isinstance(user_config, Mapping) and user_config.get("securityProtocol") == "PLAINTEXT"):
            name = r.inputs.get("endpointName")
            plaintext[r.urn] = name if isinstance(name, str) else r.name
    out: dict[str, str] = {}
    for r in resources:
        alias = _integration_alias(r) if r.type == INTEGRATION else None
        endpoints = [plaintext[u] for u in r.property_dependencies.get("sourceEndpointId", ()) if u in plaintext]
        if isinstance(alias, str) and endpoints:
            out[alias] = endpoints[0]
    return out


def no_plaintext_to_external(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Violation]:
    """Enabled flows do not write to an external cluster reached over `PLAINTEXT`: the stack's records
    would cross the network unencrypted, to brokers that authenticate no one."""
    plaintext = _plaintext_aliases(resources)
    if not plaintext:
        return []
    index = {r.urn: r for r in resources}
    out: list[Violation] = []
    for r in resources:
        if r.type != FLOW or r.inputs.get("enable") is False:
            continue
        target = flow_alias(r, "targetCluster", index)
        if target in plaintext:
            source = flow_alias(r, "sourceCluster", index) or "(a source known after up)"
            out.append(Violation(
                f"{r.name}: flow {source} -> {target} writes to external cluster {target!r} (endpoint "
                f"{plaintext[target]!r}) over PLAINTEXT: records leave unencrypted and unauthenticated; "
                "use SSL or SASL_SSL",
                r.urn,
            ))
    return out


RULES: tuple[Rule, ...] = (
    Rule(
        "protected-kafka-services",
        "With protection on, Kafka and MirrorMaker services have Aiven termination protection and Pulumi `protect`, "
        "and topics have Pulumi `protect`.",
        "mandatory",
        "stack",
        protected_services,
        REQUIRE_PROTECTION,
    ),
    Rule(
        "no-open-ip-filter",
        "With protection on, every Kafka and MirrorMaker service has an explicit ip filter whose networks cover "
        "neither all of IPv4 nor all of IPv6, alone (`0.0.0.0/0`, `::/0`) or together (`0.0.0.0/1` and "
        "`128.0.0.0/1`).",
        "mandatory",
        "stack",
        no_open_ip_filter,
        REQUIRE_PROTECTION,
    ),
    Rule(
        "flows-exclude-internal-topics",
        "Every replication flow's `topicsBlacklists` excludes internal topics (`__.*`): it is checked against "
        "`__consumer_offsets`, `__transaction_state`, `__cluster_metadata`, `__schemas` and another `__` name, so "
        "a list naming only some internal topics fails.",
        "mandatory",
        "resource",
        flows_exclude_internal_topics,
    ),
    Rule(
        "topic-replication-at-least-2",
        "Declared topics (`replication`), and topics that flows create (`replicationFactor`), have a replication "
        "factor of at least 2.",
        "advisory",
        "resource",
        replication_at_least_two,
    ),
    Rule(
        "no-identity-replication-cycles",
        "Enabled identity-policy replication flows do not form a directed cycle between clusters.",
        "mandatory",
        "stack",
        no_identity_cycles,
    ),
    Rule(
        "no-plaintext-to-external",
        "Enabled replication flows do not write to an external cluster over `PLAINTEXT` (unencrypted, "
        "unauthenticated); `SSL` and `SASL_SSL` pass, and so does reading from one (a migration off it). Mandatory, "
        "so an error in a protected stack and a warning elsewhere.",
        "mandatory",
        "stack",
        no_plaintext_to_external,
    ),
)
"""Every rule of the pack, in the order the pack lists them."""


def check_all(
    resources: Sequence[Resource], config: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, list[Violation]]:
    """Run every rule as the CLI would (resource rules per resource), by rule name; config by rule name."""
    config = config or {}
    out: dict[str, list[Violation]] = {}
    for rule in RULES:
        cfg = config.get(rule.name, {})
        if rule.scope == "stack":
            out[rule.name] = rule.check(resources, cfg)
        else:
            out[rule.name] = [v for r in resources for v in rule.check([r], cfg)]
    return out
