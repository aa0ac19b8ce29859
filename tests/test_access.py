"""Access declared once: users on every cluster holding their topics or copies, ACLs derived from the topic map."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from replication import config, topology
from replication.access import Acl, ResolvedAccess, ResolvedUser, acl_matches
from replication.engine import ProgramError, RunResult, Secret, load_stack_files, run_program
from replication.lineage import Lineage
from tests.conftest import ROOT, RunStack, run_checked

EXAMPLES = {p.stem: p for p in sorted((ROOT / "examples").glob("*.yaml"))}
STACKS = {"dev": ROOT / "Pulumi.dev.yaml", "prod": ROOT / "Pulumi.prod.yaml", **EXAMPLES}
USER = "aiven:index/kafkaUser:KafkaUser"
ACL = "aiven:index/kafkaAcl:KafkaAcl"


def raw_config(path: Path) -> dict[str, Any]:
    """A stack file's namespace keys as the program reads them (secrets as offline placeholders)."""
    files = load_stack_files(ROOT, path.stem, path)
    prefix = f"{config.NAMESPACE}:"
    return {k.removeprefix(prefix): _value(v) for k, v in files.config.items() if k.startswith(prefix)}


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def three_regions(**changes: Any) -> dict[str, Any]:
    """A chain eu -> us -> ap (default policy) and an identity flow eu -> dr, with one user."""
    raw: dict[str, Any] = {
        "project": "p",
        "clusters": {
            "eu": {"cloud": "c", "plan": "p", "topics": {"orders": {"partitions": 1, "replication": 2}}},
            "us": {"cloud": "c", "plan": "p"},
            "ap": {"cloud": "c", "plan": "p"},
            "dr": {"cloud": "c", "plan": "p"},
        },
        "mirrormakers": {"mm": {"cloud": "c", "plan": "p"}},
        "flows": [
            {"source": "eu", "target": "us", "emitHeartbeats": False},
            {"source": "us", "target": "ap", "emitHeartbeats": False},
            {"source": "eu", "target": "dr", "replicationPolicy": "identity", "emitHeartbeats": False},
        ],
        "users": {"app": {"permissions": [{"permission": "readwrite", "topics": ["orders"], "clusters": ["eu"]}]}},
    }
    raw.update(changes)
    return raw


def resolved(raw: dict[str, Any]) -> topology.Topology:
    return topology.resolve(config.parse(raw))


# --- pure planning ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("orders", "orders", True),
        ("orders", "orders2", False),
        ("ord*", "orders", True),
        ("*", "eu.orders", True),
        ("ord?rs", "orders", True),
        ("ord?rs", "ordrs", False),
        ("eu.orders", "euXorders", False),  # a dot is a dot: patterns are globs, not regexes
        ("*.orders", "eu.orders", True),
    ],
)
def test_acl_patterns_are_aiven_globs(pattern: str, topic: str, expected: bool) -> None:
    assert acl_matches(pattern, topic) is expected


def test_readers_are_the_users_with_a_reading_entry_on_that_cluster_sorted() -> None:
    users = (
        ResolvedUser("zed", None, ("eu", "us"), (Acl("eu", "orders*", "read"), Acl("us", "x", "write"))),
        ResolvedUser("amy", None, ("eu", "us"), (Acl("us", "eu.orders", "read", ("eu", "orders")),
                                                  Acl("eu", "o?ders", "admin"))),
        ResolvedUser("bob", None, ("eu",), (Acl("eu", "orders", "write"), Acl("eu", "pay*", "readwrite"))),
    )
    access = ResolvedAccess(users)
    assert access.readers("eu", "orders") == ["amy", "zed"]
    assert access.readers("eu", "orders-v2") == ["zed"]
    assert access.readers("eu", "payments") == ["bob"]
    assert access.readers("us", "eu.orders") == ["amy"]
    assert access.readers("us", "x") == []  # write lets no one consume
    assert access.readers("ap", "orders") == []
    for cluster in ("eu", "us", "ap"):
        for topic in ("orders", "oXders", "orders-v2", "payments", "eu.orders", "x"):
            expected = sorted(u.username for u in users if u.can_read(cluster, topic))
            assert access.readers(cluster, topic) == expected, (cluster, topic)


def test_copies_get_read_under_their_own_names_along_the_chain() -> None:
    [app] = resolved(three_regions()).access.users
    assert app.clusters == ("eu", "ap", "dr", "us")  # its own cluster first, then copies' (sorted)
    assert app.acls == (
        Acl("eu", "orders", "readwrite"),
        Acl("dr", "orders", "read", ("eu", "orders")),         # identity: the same name
        Acl("us", "eu.orders", "read", ("eu", "orders")),      # default policy: prefixed
        Acl("ap", "us.eu.orders", "read", ("eu", "orders")),   # chains compound
    )
    assert not any(a.permission != "read" for a in app.acls if a.copy_of)


def test_write_on_a_copy_is_refused_with_the_key_and_the_copies() -> None:
    raw = three_regions(users={"app": {"permissions": [
        {"permission": "read", "topics": ["orders"], "clusters": ["eu"]},
        {"permission": "readwrite", "topics": ["*"], "clusters": ["us"]},
    ]}})
    with pytest.raises(config.ConfigError) as info:
        resolved(raw)
    assert str(info.value) == (
        "aiven-kafka-replication:users.app.permissions[1].topics[0]: 'readwrite' on '*' in cluster 'us' covers"
        " 'eu.orders', written by replication: a producer writing into a copy corrupts it; grant write only on"
        " the cluster's own topics"
    )


@pytest.mark.parametrize("permission", ["write", "admin"])
def test_every_writing_permission_is_refused_on_an_identity_copy(permission: str) -> None:
    raw = three_regions(users={"app": {"permissions": [
        {"permission": permission, "topics": ["orders"], "clusters": ["dr"]},
    ]}})
    with pytest.raises(config.ConfigError, match=r"users.app.permissions\[0\].topics\[0\]: '\w+' on 'orders' in"
                       r" cluster 'dr' covers 'orders', written by replication"):
        resolved(raw)


def test_read_on_a_copy_cluster_covers_the_copy_without_a_second_entry() -> None:
    raw = three_regions(users={"app": {"permissions": [
        {"permission": "read", "topics": ["orders"], "clusters": ["eu"]},
        {"permission": "read", "topics": ["eu.*"], "clusters": ["us"]},
    ]}})
    [app] = resolved(raw).access.users
    assert [(a.cluster, a.topic) for a in app.acls] == [
        ("eu", "orders"), ("us", "eu.*"), ("dr", "orders"), ("ap", "us.eu.orders"),
    ]


def test_unmanaged_clusters_get_no_user_and_a_warning() -> None:
    raw = three_regions()
    raw["clusters"]["eu"] = {"existing": True, "serviceName": "kafka-eu", "knownTopics": ["orders"]}
    result = resolved(raw)
    [app] = result.access.users
    assert app.clusters == ("ap", "dr", "us") and all(a.copy_of for a in app.acls)
    assert [str(w) for w in result.access.warnings] == [
        "aiven-kafka-replication:users.app.permissions[0].clusters[0]: cluster 'eu' is existing: this stack manages"
        " no users or ACLs on it; only the copies of its topics on managed clusters get the user and read access"
    ]


def test_a_user_that_would_exist_nowhere_is_refused() -> None:
    raw = three_regions(flows=[])
    raw["clusters"]["eu"] = {"existing": True, "serviceName": "kafka-eu", "knownTopics": ["orders"]}
    raw.pop("mirrormakers")
    with pytest.raises(config.ConfigError, match=r"users.app: exists on no cluster this stack manages"):
        resolved(raw)


def test_a_pattern_matching_no_known_topic_warns_that_copies_get_nothing() -> None:
    raw = three_regions(users={"app": {"permissions": [
        {"permission": "read", "topics": ["invoices-*"], "clusters": ["eu"]},
    ]}})
    result = resolved(raw)
    assert [w.path for w in result.access.warnings] == ["users.app.permissions[0].topics[0]"]
    assert "'invoices-*' matches no topic the topic map knows on cluster 'eu'" in result.access.warnings[0].message
    assert result.access.users[0].acls == (Acl("eu", "invoices-*", "read"),)


def test_users_whose_resource_names_would_clash_are_refused() -> None:
    raw = three_regions(users={
        "app": {"permissions": [{"permission": "read", "topics": ["x"], "clusters": ["eu"]}]},
        "app-eu": {"permissions": [{"permission": "read", "topics": ["x"], "clusters": ["eu"]}]},
    })
    raw["clusters"]["eu-eu"] = raw["clusters"].pop("eu")  # user app on eu-eu == user app-eu on eu... on eu-eu
    raw["clusters"]["eu"] = {"cloud": "c", "plan": "p"}
    raw["users"]["app"]["permissions"][0]["clusters"] = ["eu-eu"]
    raw["users"]["app-eu"]["permissions"][0]["clusters"] = ["eu"]
    raw["flows"] = [{**f, "source": "eu-eu"} if f["source"] == "eu" else f for f in raw["flows"]]
    with pytest.raises(config.ConfigError, match=r"users.app-eu: its KafkaUser would be named like user 'app'"):
        resolved(raw)


@pytest.mark.parametrize(
    ("users", "line"),
    [
        ({"avnadmin": {"permissions": [{"permission": "read", "topics": ["x"], "clusters": ["eu"]}]}},
         "users: 'avnadmin' is the service's own admin user"),
        ({"app": {"permissions": [{"permission": "read", "topics": ["x"], "clusters": ["nowhere"]}]}},
         "users.app.permissions[0].clusters[0]: unknown cluster 'nowhere' (declared: ap, dr, eu, us)"),
        ({"app": {"password": "missing", "permissions": [{"permission": "read", "topics": ["x"], "clusters": ["eu"]}]}},
         "users.app.password: expected the name of an entry in aiven-kafka-replication:credentials (declared: "),
        ({"app": {"permissions": [{"permission": "owner", "topics": ["x"], "clusters": ["eu"]}]}},
         "users.app.permissions[0].permission: Input should be 'read', 'write', 'readwrite' or 'admin'"),
        ({"app": {"permissions": [{"permission": "read", "topics": ["orders/.*"], "clusters": ["eu"]}]}},
         "users.app.permissions[0].topics[0]: topic pattern 'orders/.*' (9 characters) must be 1 to 249 topic-name"),
        ({"app": {"permissions": []}}, "users.app.permissions: List should have at least 1 item"),
    ],
)
def test_bad_users_config_names_the_key(users: dict[str, Any], line: str) -> None:
    with pytest.raises(config.ConfigError) as info:
        resolved(three_regions(users=users))
    assert any(str(issue).startswith(f"aiven-kafka-replication:{line}") for issue in info.value.issues), str(info.value)


def test_lineage_reads_originals_and_copies_from_the_topic_map() -> None:
    topo = resolved(three_regions())
    lineage: Lineage = topo.lineage
    assert lineage.original("ap", "us.eu.orders") == ("eu", "orders")
    assert [(c.cluster, c.topic, c.flows) for c in lineage.copies("eu", "orders")] == [
        ("dr", "orders", ("eu->dr",)), ("us", "eu.orders", ("eu->us",)), ("ap", "us.eu.orders", ("eu->us", "us->ap")),
    ]
    assert [(c.cluster, c.topic) for c in lineage.holders("us", "eu.orders")] == [
        ("eu", "orders"), ("dr", "orders"), ("ap", "us.eu.orders"),
    ]


# --- through the program ------------------------------------------------------------------------


def _acls(result: RunResult) -> set[tuple[str, str, str, str]]:
    return {(r.inputs["serviceName"], r.inputs["username"], r.inputs["topic"], r.inputs["permission"])
            for r in result.of_type(ACL)}


@pytest.mark.parametrize("stack", ["prod", "active-active"])
def test_users_exist_on_origins_and_copies_and_never_write_a_copy(stack: str) -> None:
    result = run_checked(stack, stack_file=STACKS[stack])
    topo = resolved(raw_config(STACKS[stack]))
    names = {alias: c.resolved_service_name(alias) for alias, c in topo.config.clusters.items()}
    alias_of = {v: k for k, v in names.items()}
    assert topo.config.users, f"{stack} declares users"
    for username in topo.config.users:
        # Everywhere a topic it may access, or a copy of one, lives.
        on = sorted(alias_of[r.inputs["serviceName"]] for r in result.of_type(USER) if r.inputs["username"] == username)
        expected = set()
        for grant in topo.config.users[username].permissions:
            for alias in grant.clusters:
                expected.add(alias)
                for topic in topo.topic_map.topics[alias]:
                    if any(acl_matches(p, topic) for p in grant.topics):
                        expected |= {c.cluster for c in topo.lineage.copies(alias, topic)}
        assert on == sorted(expected)
    for service, username, topic, permission in _acls(result):
        alias = alias_of[service]
        if topo.lineage.is_copy(alias, topic):
            assert permission == "read", (service, username, topic)
        for held in topo.topic_map.topics[alias]:
            if topo.lineage.is_copy(alias, held) and acl_matches(topic, held):
                assert permission == "read", f"{username} may write copy {held!r} on {alias}"


def test_active_active_grants_read_on_each_regions_copy() -> None:
    result = run_checked("active-active", stack_file=EXAMPLES["active-active"])
    assert {a for a in _acls(result) if a[1] == "orders-service"} == {
        ("kafka-eu", "orders-service", "orders", "readwrite"),
        ("kafka-us", "orders-service", "orders", "readwrite"),
        ("kafka-us", "orders-service", "eu.orders", "read"),
        ("kafka-eu", "orders-service", "us.orders", "read"),
    }


def test_one_password_everywhere_configured_or_generated_once() -> None:
    result = run_checked("active-active", stack_file=EXAMPLES["active-active"])
    index = result.by_urn()
    users = {(r.inputs["username"], r.inputs["serviceName"]): r for r in result.of_type(USER)}
    # From credentials: the same secret on both clusters, neither waits for the other.
    a, b = users["orders-service", "kafka-eu"], users["orders-service", "kafka-us"]
    assert isinstance(a.inputs["password"], Secret) and a.inputs["password"] == b.inputs["password"]
    assert a.inputs["password"].value == "offline-placeholder-for-aiven-kafka-replication:credentials"
    assert {index[u].name for u in result.custom_dependencies(b)} == {"us-kafka"}
    # Generated: Aiven makes it on the first cluster; the second is given that value (a secret).
    home, other = users["analytics", "kafka-eu"], users["analytics", "kafka-us"]
    assert "password" not in home.inputs or home.inputs["password"] is None
    assert isinstance(other.inputs["password"], Secret)
    assert other.inputs["password"].value.startswith("mock-password-")
    assert {index[u].name for u in other.property_dependencies["password"]} == {"user-analytics-eu"}
    passwords = result.outputs["userPasswords"]
    assert isinstance(passwords, Secret)
    assert passwords.value == {
        "analytics": other.inputs["password"].value,
        "orders-service": a.inputs["password"].value,
    }


def test_users_and_acls_wait_only_for_their_cluster_within_three_waves(run_stack: RunStack) -> None:
    result = run_stack("prod")
    index = result.by_urn()
    waves = {index[u].name: w for u, w in result.waves().items()}
    assert max(waves.values()) == 3
    for r in [*result.of_type(USER), *result.of_type(ACL)]:
        deps = {index[u].name for u in result.custom_dependencies(r)}
        cluster = {"prod-kafka-source": "source-kafka", "prod-kafka-target": "target-kafka"}[r.inputs["serviceName"]]
        home = f"user-{r.inputs['username']}-source"
        expected = {cluster, home} if r.type == USER and r.name != home else {cluster}
        assert deps == expected, r.name
    assert waves["user-orders-app-source"] == 2 and waves["user-orders-app-target"] == 3
    assert waves["user-orders-app-target-read-source.topic-a"] == 2
    assert index[result.named("user-orders-app").parent or ""].name == "replication"
    assert result.named("user-orders-app").type == "aiven-kafka-replication:index:UserAccess"
    assert index[result.named("user-orders-app-source").parent or ""].name == "user-orders-app"


def test_stacks_without_users_export_what_they_did(run_stack: RunStack) -> None:
    result = run_stack("dev")
    assert not result.of_type(USER) and not result.of_type(ACL)
    assert sorted(result.outputs) == [
        "clusterServiceNames", "clusterServiceUris", "expectedTopics", "failoverMap", "flows", "mirrormakerServiceNames",
        "replicationLagMetrics", "topicOrigins",  # every stack has these, users and monitoring or not
    ]


def test_write_on_a_copy_stops_the_program_before_any_resource(tmp_path: Path) -> None:
    doc = yaml.safe_load(EXAMPLES["active-active"].read_text())
    users = copy.deepcopy(doc["config"]["aiven-kafka-replication:users"])
    users["orders-service"]["permissions"].append({"permission": "write", "topics": ["us.*"], "clusters": ["eu"]})
    doc["config"]["aiven-kafka-replication:users"] = users
    stack = tmp_path / "Pulumi.aa.yaml"
    stack.write_text(yaml.safe_dump(doc))
    with pytest.raises(ProgramError) as info:
        run_program("aa", ROOT, stack_file=stack)
    assert info.value.partial is not None and info.value.partial.resources == []
    assert "users.orders-service.permissions[1].topics[0]: 'write' on 'us.*' in cluster 'eu' covers" in str(info.value)
