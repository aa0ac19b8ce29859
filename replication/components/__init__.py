"""Pulumi ComponentResources: a Kafka cluster with its topics, a MirrorMaker 2 service with its
integrations, a replication flow, and the whole replication topology.

`Replication` is the public component: its Args are the stack config as TypedDicts
(`replication/args.py`), which the package schema is read from. The others are its children, and
their Args share one style: a frozen, keyword-only dataclass whose declared settings are the
validated config models (pass-through blocks too, converted to the provider's names inside),
whose references to other resources are Inputs, whose adoption is the ready import ID of each
resource (`import_id`, computed by `Replication` with `replication.adoption`), and whose renamed
cluster is `renamed_from`.
"""

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
