"""Cross-cluster Kafka replication on Aiven with MirrorMaker 2, as a Pulumi program."""
