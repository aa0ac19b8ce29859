"""Pulumi ComponentResources: a Kafka cluster with its topics, a MirrorMaker 2 service with its
integrations, a replication flow, and the whole replication topology."""

from replication.args import ReplicationArgs
from replication.components.external_cluster import ExternalKafkaCluster, ExternalKafkaClusterArgs
from replication.components.flow import ReplicationFlow, ReplicationFlowArgs
from replication.components.kafka_cluster import KafkaCluster, KafkaClusterArgs
from replication.components.mirrormaker import ClusterAttachment, MirrorMaker, MirrorMakerArgs
from replication.components.replication import Replication
from replication.components.user import UserAccess, UserAccessArgs

__all__ = [
    "ClusterAttachment",
    "ExternalKafkaCluster",
    "ExternalKafkaClusterArgs",
    "KafkaCluster",
    "KafkaClusterArgs",
    "MirrorMaker",
    "MirrorMakerArgs",
    "Replication",
    "ReplicationArgs",
    "ReplicationFlow",
    "ReplicationFlowArgs",
    "UserAccess",
    "UserAccessArgs",
]
