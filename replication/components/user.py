"""A Kafka user on every cluster that holds its topics or their copies, with its ACL entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aiven as aiven

from replication.access import ResolvedUser
from replication.components.renaming import previous


@dataclass(frozen=True, kw_only=True)
class UserAccessArgs:
    """Inputs of :class:`UserAccess`."""

    project: pulumi.Input[str]
    """Aiven project of the clusters."""
    user: ResolvedUser
    """The user, the clusters it exists on (first: where a generated password is made) and its ACL entries.
    Child names follow :func:`replication.access.resource_names`, which checks they are unique."""
    service_names: Mapping[str, pulumi.Input[str]]
    """Service name of each cluster in `user.clusters`, by alias: outputs, so users and ACLs wait for their cluster."""
    password: pulumi.Input[str] | None = None
    """The password (a secret Output from `credentials`); None to let Aiven generate it on the first cluster."""
    renamed_from: Mapping[str, str] = field(default_factory=dict)
    """Previous alias of each renamed cluster (`renamedFrom`), by alias: its user and ACL entries answer
    to their names under it too (Pulumi `aliases`)."""


class UserAccess(pulumi.ComponentResource):
    """One Kafka user with the same password on every cluster, and its Aiven ACL entries.

    Without a configured password, Aiven generates one for the user on its first cluster and the
    others are given that value, so a client changes only its bootstrap address at failover. ACL
    entries name the user but do not need it to exist, so they wait only for their cluster.
    """

    users: dict[str, aiven.KafkaUser]
    """The `KafkaUser` on each cluster, by alias."""
    acls: list[aiven.KafkaAcl]
    """Its ACL entries on every cluster."""
    password: pulumi.Output[str]
    """The password, the same on every cluster: always a secret."""

    def __init__(self, name: str, args: UserAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aiven-kafka-replication:index:UserAccess", name, None, opts)
        user = args.user
        if not user.clusters:
            raise ValueError(f"user {user.username!r} exists on no cluster")
        self.users = {}
        shared: pulumi.Input[str] | None = None if args.password is None else pulumi.Output.secret(args.password)
        for alias in user.clusters:
            created = aiven.KafkaUser(
                f"{name}-{alias}",
                project=args.project,
                service_name=args.service_names[alias],
                username=user.username,
                password=shared,
                opts=pulumi.ResourceOptions(parent=self, aliases=_previous(args, name, alias)),
            )
            self.users[alias] = created
            if shared is None:
                # The provider marks `password` secret; the first cluster's generated value is everyone's.
                shared = created.password
        self.password = pulumi.Output.secret(self.users[user.clusters[0]].password if shared is None else shared)

        self.acls = []
        for acl in user.acls:
            self.acls.append(
                aiven.KafkaAcl(
                    f"{name}-{acl.cluster}-{acl.permission}-{acl.topic}",
                    project=args.project,
                    service_name=args.service_names[acl.cluster],
                    username=user.username,
                    topic=acl.topic,
                    permission=acl.permission,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        aliases=_previous(args, name, acl.cluster, f"-{acl.permission}-{acl.topic}"),
                    ),
                )
            )
        self.register_outputs({"password": self.password})


def _previous(
    args: UserAccessArgs, name: str, alias: str, suffix: str = ""
) -> list[pulumi.Input[str | pulumi.Alias]] | None:
    """Aliases of the child `{name}-{alias}{suffix}`, when cluster `alias` was renamed."""
    old = args.renamed_from.get(alias)
    return previous(f"{name}-{old}{suffix}" if old else None)
