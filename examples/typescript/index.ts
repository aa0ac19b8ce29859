// A TypeScript program that uses the component package: the migration example's topology
// (examples/migration.yaml), with the project looked up in Aiven and the SASL password from
// secret config. Both are outputs; every other property is plain, known at preview.
//   pulumi package add ../../provider      (generates the @pulumi/aiven-kafka-replication SDK)
//   pulumi config set aivenProject my-aiven-project
//   pulumi config set --secret onpremSaslPassword '<password>'
//   pulumi preview
import * as pulumi from "@pulumi/pulumi";
import * as aiven from "@pulumi/aiven";
import * as replication from "@pulumi/aiven-kafka-replication";

const config = new pulumi.Config();
const project = aiven.getProjectOutput({ project: config.require("aivenProject") });

const topology = new replication.Replication("replication", {
    project: project.project,
    clusters: {
        onprem: {
            external: {
                endpointName: "onprem-kafka",
                bootstrapServers: [
                    "kafka-1.corp.example.com:9093",
                    "kafka-2.corp.example.com:9093",
                    "kafka-3.corp.example.com:9093",
                ],
                securityProtocol: "SASL_SSL",
                saslMechanism: "SCRAM-SHA-512",
                saslUsername: "mirrormaker",
                // Names the credentials entry below, never the secret itself.
                saslPassword: "onprem-sasl-password",
            },
            knownTopics: ["orders", "customers", "shipments"],
        },
        aiven: {
            serviceName: "kafka-main",
            cloud: "aws-eu-central-1",
            plan: "business-8",
            kafkaVersion: "3.8",
            ipFilter: ["10.0.0.0/8"],
        },
    },
    mirrormakers: {
        "mm-migration": {
            cloud: "aws-eu-central-1",
            plan: "business-4",
            ipFilter: ["10.0.0.0/8"],
            kafkaMirrormaker: {
                groups: ".*",
                groupsExclude: "console-consumer-.*,connect-.*,__.*",
                syncTopicConfigsEnabled: true,
            },
            integrations: {
                onprem: { consumerAutoOffsetReset: "earliest", consumerFetchMaxBytes: 52428800 },
            },
        },
    },
    credentials: {
        "onprem-sasl-password": config.requireSecret("onpremSaslPassword"),
    },
    flows: [
        {
            source: "onprem",
            target: "aiven",
            topics: ["orders", "customers", "shipments"],
            replicationPolicy: "identity",
            offsetSyncsTopicLocation: "target",
            syncGroupOffsetsIntervalSeconds: 30,
            exactlyOnceDelivery: true,
            replicationFactor: 3,
        },
    ],
});

export const clusterServiceNames = topology.clusterServiceNames;
export const clusterServiceUris = topology.clusterServiceUris;
export const mirrormakerServiceNames = topology.mirrormakerServiceNames;
export const flows = topology.flows;
export const expectedTopics = topology.expectedTopics;
export const topicOrigins = topology.topicOrigins;
export const users = topology.users;
export const userPasswords = topology.userPasswords;
export const replicationLagMetrics = topology.replicationLagMetrics;
export const failoverMap = topology.failoverMap;
