"""Access declared once: which Kafka users exist on which clusters, with which Aiven ACL entries.

Pure logic (no Pulumi). The `users` config names, per user, permissions on topics of some clusters
(the topics' own clusters). From the topic map's lineage this derives:

- the declared ACL entries on each of those clusters that this stack manages;
- `read` on every copy of a matching topic, under the copy's own name (`eu.orders` under the
  default policy, `orders` under identity), on every managed cluster that holds one, so consumers
  can fail over with the same user;
- the clusters each user exists on: its permissions' managed clusters, then those holding copies.

Write is never granted on a copy: a declared write, readwrite or admin permission whose pattern
covers a topic a flow writes is refused, since a producer writing into a replica corrupts it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from replication.config import WRITE_PERMISSIONS, ConfigError, ConfigIssue, StackConfig
from replication.lineage import Lineage

#: Permissions that let a client consume.
READ_PERMISSIONS: frozenset[str] = frozenset({"read", "readwrite", "admin"})


@functools.lru_cache(maxsize=4096)
def _acl_regex(pattern: str) -> re.Pattern[str]:
    # Aiven ACL topic patterns are globs: `*` any run of characters, `?` exactly one; nothing else is special.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def acl_matches(pattern: str, topic: str) -> bool:
    """Whether an Aiven ACL topic pattern covers a topic name."""
    return _acl_regex(pattern).fullmatch(topic) is not None


@dataclass(frozen=True)
class Acl:
    """One Aiven ACL entry of a user on a cluster."""

    cluster: str
    """Alias of the cluster."""
    topic: str
    """Topic name or pattern."""
    permission: str
    """`read`, `write`, `readwrite` or `admin`."""
    copy_of: tuple[str, str] | None = None
    """For a `read` granted on a copy: (cluster, topic) of the declared topic it copies."""


@dataclass(frozen=True)
class ResolvedUser:
    """One user: where it exists and what it may do there."""

    username: str
    password: str | None
    """Name of the `credentials` entry with its password; None: Aiven generates it on `clusters[0]`."""
    clusters: tuple[str, ...]
    """Managed clusters it exists on: its permissions' own clusters in config order, then copies' (sorted)."""
    acls: tuple[Acl, ...]

    def can_read(self, cluster: str, topic: str) -> bool:
        """Whether one of its ACL entries lets it consume `topic` on `cluster`."""
        return any(
            a.cluster == cluster and a.permission in READ_PERMISSIONS and acl_matches(a.topic, topic) for a in self.acls
        )


@dataclass(frozen=True)
class ResolvedAccess:
    """Every user of the stack, and the warnings resolving them raised."""

    users: tuple[ResolvedUser, ...] = ()
    warnings: tuple[ConfigIssue, ...] = ()

    def readers(self, cluster: str, topic: str) -> list[str]:
        """Users that can consume `topic` on `cluster`, sorted (those :meth:`ResolvedUser.can_read` admits)."""
        return sorted(name for name, patterns in self._read_patterns.get(cluster, ())
                      if any(acl_matches(p, topic) for p in patterns))

    @functools.cached_property
    def _read_patterns(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        # Cluster -> (user, its read patterns there): the failover map asks for every place of
        # every topic, so each user's entries are sorted by cluster once, not scanned per place.
        index: dict[str, dict[str, list[str]]] = {}
        for user in self.users:
            for acl in user.acls:
                if acl.permission in READ_PERMISSIONS:
                    index.setdefault(acl.cluster, {}).setdefault(user.username, []).append(acl.topic)
        return {cluster: [(name, tuple(p)) for name, p in users.items()] for cluster, users in index.items()}


def resolve_access(cfg: StackConfig, lineage: Lineage) -> ResolvedAccess:
    """Resolve the `users` config. Raises :class:`ConfigError` for write access to a copy and for a
    user that would exist nowhere."""
    managed = {alias for alias, c in cfg.clusters.items() if c.managed}
    has_flows = {f.source for f in cfg.flows if f.enabled}
    held = lineage.topic_map.topics
    errors: list[ConfigIssue] = []
    warnings: list[ConfigIssue] = []
    users: list[ResolvedUser] = []
    for username, spec in cfg.users.items():
        at = f"users.{username}"
        declared: list[Acl] = []
        copies: list[Acl] = []
        for i, grant in enumerate(spec.permissions):
            for j, alias in enumerate(grant.clusters):
                if alias not in managed:
                    kind = "external" if cfg.clusters[alias].external is not None else "existing"
                    warnings.append(ConfigIssue(
                        f"{at}.permissions[{i}].clusters[{j}]",
                        f"cluster {alias!r} is {kind}: this stack manages no users or ACLs on it; only the copies "
                        "of its topics on managed clusters get the user and read access",
                    ))
                for k, pattern in enumerate(grant.topics):
                    matched = [t for t in held.get(alias, {}) if acl_matches(pattern, t)]
                    if grant.permission in WRITE_PERMISSIONS:
                        errors += _writes_on_copies(f"{at}.permissions[{i}].topics[{k}]", grant.permission,
                                                    pattern, alias, matched, lineage)
                    if not matched and alias in has_flows:
                        warnings.append(ConfigIssue(
                            f"{at}.permissions[{i}].topics[{k}]",
                            f"{pattern!r} matches no topic the topic map knows on cluster {alias!r}, so no copy "
                            "of it gets a read grant; declare the topic (or list it in knownTopics)",
                        ))
                    if alias in managed:
                        declared.append(Acl(alias, pattern, grant.permission))
                    for topic in matched:
                        copies += [Acl(c.cluster, c.topic, "read", (alias, topic))
                                   for c in lineage.copies(alias, topic) if c.cluster in managed]
        acls = _unique([*declared, *(a for a in copies if not _covered(a, declared))])
        origins = [a.cluster for a in declared]
        clusters = tuple(dict.fromkeys([*origins, *sorted({a.cluster for a in acls} - set(origins))]))
        if not clusters:
            errors.append(ConfigIssue(
                at, "exists on no cluster this stack manages: its permissions name only existing or external "
                "clusters, and no copy of their topics lands on a managed cluster",
            ))
        users.append(ResolvedUser(username, spec.password, clusters, tuple(acls)))
    errors += _name_clashes(users)
    if errors:
        raise ConfigError(errors)
    return ResolvedAccess(tuple(users), tuple(warnings))


def resource_names(user: ResolvedUser) -> list[tuple[str, str]]:
    """(kind, name suffix) of the resources a user is declared with: `user-<suffix>` in the stack."""
    names = [("KafkaUser", f"{user.username}-{alias}") for alias in user.clusters]
    return names + [("KafkaAcl", f"{user.username}-{a.cluster}-{a.permission}-{a.topic}") for a in user.acls]


def _name_clashes(users: Iterable[ResolvedUser]) -> Iterable[ConfigIssue]:
    # Names join user, alias, permission and topic with '-', which all of them may contain.
    owner: dict[tuple[str, str], str] = {}
    for user in users:
        for key in resource_names(user):
            other = owner.setdefault(key, user.username)
            if other != user.username:
                yield ConfigIssue(
                    f"users.{user.username}",
                    f"its {key[0]} would be named like user {other!r}'s ({key[1]!r}): rename one of the users",
                )


def _writes_on_copies(
    at: str, permission: str, pattern: str, alias: str, matched: list[str], lineage: Lineage
) -> Iterable[ConfigIssue]:
    replicas = [t for t in matched if lineage.is_copy(alias, t)]
    if replicas:
        more = f" and {len(replicas) - 3} more" if len(replicas) > 3 else ""
        shown = ", ".join(repr(t) for t in replicas[:3]) + more
        yield ConfigIssue(
            at,
            f"{permission!r} on {pattern!r} in cluster {alias!r} covers {shown}, written by replication: a "
            "producer writing into a copy corrupts it; grant write only on the cluster's own topics",
        )


def _covered(acl: Acl, declared: list[Acl]) -> bool:
    # A copy already readable through a declared entry on that cluster needs no entry of its own.
    return any(
        d.cluster == acl.cluster and d.permission in READ_PERMISSIONS and acl_matches(d.topic, acl.topic)
        for d in declared
    )


def _unique(acls: Iterable[Acl]) -> list[Acl]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Acl] = []
    for acl in acls:
        key = (acl.cluster, acl.topic, acl.permission)
        if key not in seen:
            seen.add(key)
            out.append(acl)
    return out
