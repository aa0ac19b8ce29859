"""One MirrorMaker 2 replication flow."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aiven as aiven

from replication.components.renaming import previous
from replication.config import FlowSpec


@dataclass(frozen=True, kw_only=True)
class ReplicationFlowArgs:
    """Inputs of :class:`ReplicationFlow`."""

    project: pulumi.Input[str]
    """Aiven project of the MirrorMaker service."""
    mirrormaker_service_name: pulumi.Input[str]
    """Name of the MirrorMaker service that runs the flow."""
    source_alias: pulumi.Input[str]
    """Source cluster alias, taken from its integration's output so the flow waits for it."""
    target_alias: pulumi.Input[str]
    """Target cluster alias, taken from its integration's output so the flow waits for it."""
    spec: FlowSpec
    """The validated flow settings."""
    import_id: str | None = None
    """Import ID of the existing flow in adopt mode: `project/mirrormaker_service/source/target`."""
    renamed_from: str | None = None
    """The component's previous name, when a cluster it joins was renamed: the flow answers to its
    name under it too (Pulumi `aliases`)."""


class ReplicationFlow(pulumi.ComponentResource):
    """A replication flow from one cluster alias to another on a MirrorMaker service."""

    flow: aiven.MirrorMakerReplicationFlow
    """The provider resource."""
    enabled: pulumi.Output[bool]
    """Whether the flow is running."""

    def __init__(self, name: str, args: ReplicationFlowArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aiven-kafka-replication:index:ReplicationFlow", name, None, opts)
        spec = args.spec
        self.flow = aiven.MirrorMakerReplicationFlow(
            f"{name}-flow",
            project=args.project,
            service_name=args.mirrormaker_service_name,
            source_cluster=args.source_alias,
            target_cluster=args.target_alias,
            enable=spec.enabled,
            topics=list(spec.topics),
            topics_blacklists=list(spec.topics_exclude),
            # Set explicitly: the provider's defaults differ from the Aiven API's, and a silent
            # default change would rename every remote topic or move the offset-syncs topic.
            replication_policy_class=spec.replication_policy_class,
            offset_syncs_topic_location=spec.offset_syncs_topic_location,
            sync_group_offsets_enabled=spec.sync_group_offsets,
            sync_group_offsets_interval_seconds=spec.sync_group_offsets_interval_seconds,
            emit_heartbeats_enabled=spec.emit_heartbeats,
            emit_backward_heartbeats_enabled=spec.emit_backward_heartbeats,
            exactly_once_delivery_enabled=spec.exactly_once_delivery,
            replication_factor=spec.replication_factor,
            config_properties_excludes=spec.config_properties_exclude,
            follower_fetching_enabled=spec.follower_fetching,
            offset_lag_max=spec.offset_lag_max,
            # One flow per (MirrorMaker, source, target): a replacement must delete the old first.
            opts=pulumi.ResourceOptions(
                parent=self,
                delete_before_replace=True,
                import_=args.import_id,
                aliases=previous(args.renamed_from and f"{args.renamed_from}-flow"),
            ),
        )
        self.enabled = self.flow.enable
        self.register_outputs({"enabled": self.enabled})
