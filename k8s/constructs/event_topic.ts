/**
 * A topic the gateway accepts, declared as a Strimzi KafkaTopic, together with its dead-letter topic, so a
 * worker that gives up on a record always has somewhere durable to put it.
 *
 * @module
 */
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { STRIMZI_API_VERSION } from "./kafka_cluster.ts";

/** Props of {@link EventTopic}. */
export interface EventTopicProps {
  /** Strimzi cluster (Kafka resource name) the topic belongs to. */
  readonly clusterName: string;
  /** Kafka topic name. */
  readonly topicName: string;
  readonly partitions: number;
  /** 1 in dev, 3 in prod (KafkaCluster.replicationFactor). */
  readonly replicationFactor: number;
  /** KafkaCluster.minInsyncReplicas. */
  readonly minInsyncReplicas: number;
  readonly retentionHours: number;
  /** Partitions of the dead-letter topic. Default 1: dead letters are rare and read by people. */
  readonly deadLetterPartitions?: number;
  /** Retention of the dead-letter topic. Default 14 days, long enough to notice and replay. */
  readonly deadLetterRetentionHours?: number;
}

/** The dead-letter topic of a topic; the worker's DLQ_TOPIC default uses the same convention. */
export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}

/** Kubernetes object name for a Kafka topic: topic names may hold `_` and capitals, object names not. */
export function topicObjectName(topic: string): string {
  return topic.toLowerCase().replace(/[^a-z0-9.-]/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
}

/** A KafkaTopic plus its `<name>.dlq` dead-letter KafkaTopic. */
export class EventTopic extends Construct {
  readonly topic: ApiObject;
  readonly deadLetter: ApiObject;
  /** Name of the dead-letter topic in Kafka. */
  readonly deadLetterTopicName: string;

  constructor(scope: Construct, id: string, props: EventTopicProps) {
    super(scope, id);
    this.deadLetterTopicName = deadLetterTopicName(props.topicName);
    const topic = (cid: string, name: string, partitions: number, hours: number, role: string) =>
      new ApiObject(this, cid, {
        apiVersion: STRIMZI_API_VERSION,
        kind: "KafkaTopic",
        metadata: {
          name: topicObjectName(name),
          labels: {
            "strimzi.io/cluster": props.clusterName,
            "app.kubernetes.io/part-of": "kafka-edge",
            "kafka-edge.dev/topic-role": role,
          },
        },
        spec: {
          topicName: name,
          partitions,
          replicas: props.replicationFactor,
          config: {
            "retention.ms": hours * 3_600_000,
            "min.insync.replicas": props.minInsyncReplicas,
            "cleanup.policy": "delete",
          },
        },
      });
    this.topic = topic("topic", props.topicName, props.partitions, props.retentionHours, "events");
    this.deadLetter = topic(
      "dead-letter",
      this.deadLetterTopicName,
      props.deadLetterPartitions ?? 1,
      props.deadLetterRetentionHours ?? 14 * 24,
      "dead-letter",
    );
  }
}
