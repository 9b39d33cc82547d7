/** The operator's settings: one typed object parsed once at start-up from env (and CONFIG_FILE). */
import { type ConfigOf, defineConfig, duration, filePath, int, oneOf, str } from "@kafka-edge/lib";

const fields = {
  KUBECONFIG: filePath().optional().example("/home/me/.kube/config")
    .describe("kubeconfig to use; unset: in-cluster service account, else ~/.kube/config"),
  NAMESPACE: str().optional().example("workers")
    .describe("namespace whose ConsumerAutoscalers are served; unset: all namespaces"),
  LEASE_NAME: str({ pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/ }).default("kafka-edge-operator")
    .describe("coordination.k8s.io/v1 Lease used for leader election"),
  LEASE_NAMESPACE: str().optional().example("kafka-edge")
    .describe("namespace of the Lease; default: NAMESPACE, the pod's namespace, or default"),
  LEASE_DURATION: duration({ min: 2_000, max: 300_000 }).default(15_000)
    .describe("a standby takes over this long after the leader's last renewal"),
  POD_NAME: str().optional().example("kafka-edge-operator-7d9f-abcde")
    .describe("identity in the Lease and in Events; default: hostname plus a random suffix"),
  PORT: int({ min: 0, max: 65535 }).default(8081).example("8081").describe("/healthz, /readyz, /metrics"),
  HOST: str().default("0.0.0.0").example("0.0.0.0"),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"]).default("info"),
  CONCURRENCY: int({ min: 1, max: 64 }).default(4).describe("autoscalers reconciled at once"),
  KAFKA_TIMEOUT: duration({ min: 500, max: 120_000 }).default(8_000)
    .describe("bound on one lag read; beyond it the read counts as failed (fail-static)"),
  SHUTDOWN_TIMEOUT: duration({ min: 1_000 }).default(10_000),
};

/** The operator's config spec; Kafka settings come from each ConsumerAutoscaler, not from env. */
export const operatorConfigSpec = defineConfig(fields);

/** Parsed operator settings. */
export type OperatorConfig = ConfigOf<typeof fields>;
