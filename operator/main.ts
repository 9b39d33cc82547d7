/**
 * The operator process: settings → Kubernetes and Kafka adapters → controller under a leader Lease, with
 * /healthz, /readyz and /metrics. On SIGTERM: stop reconciling (in-flight ones finish), release the lease
 * so a standby takes over at once, close the Kafka clients, stop HTTP.
 */
import { createLogger, createShutdown, describeConfig, loadConfig, redactConfig } from "@kafka-edge/lib";
import { operatorConfigSpec } from "./config.ts";
import { decide } from "./core/decide.ts";
import { observeLag } from "./core/lag.ts";
import { updatePerReplicaRate } from "./core/rate.ts";
import { resolveSettings } from "./core/settings.ts";
import { createKafkaLagReader } from "./adapters/kafka_lag.ts";
import {
  createAutoscalerInformer,
  createKubePort,
  createLeasePort,
  createSecretReader,
} from "./adapters/kube.ts";
import { loadKubeConfig, podNamespace } from "./adapters/kube_config.ts";
import { createController } from "./controller/controller.ts";
import { createSampleHistory } from "./controller/history.ts";
import { createHttpHandler } from "./controller/http.ts";
import { createLeaderElector } from "./controller/leader.ts";
import { createOperatorMetrics } from "./controller/metrics.ts";
import { createWorkQueue } from "./controller/work_queue.ts";

if (Deno.args.includes("--help")) {
  console.log("kafka-edge operator — settings come from the environment or CONFIG_FILE (YAML/JSON):\n");
  for (const line of describeConfig(operatorConfigSpec)) console.log(`  ${line}`);
  Deno.exit(0);
}
const cfg = loadConfig(operatorConfigSpec);
const identity = cfg.POD_NAME ?? `${Deno.hostname()}-${crypto.randomUUID().slice(0, 8)}`;
const log = createLogger({ level: cfg.LOG_LEVEL, fields: { service: "operator", identity } });
const { kc, source: kubeconfigSource } = loadKubeConfig(cfg.KUBECONFIG);
const leaseNamespace = cfg.LEASE_NAMESPACE ?? cfg.NAMESPACE ?? podNamespace() ?? "default";
log.info("starting", {
  config: redactConfig(operatorConfigSpec, cfg),
  kubeconfig: kubeconfigSource,
  server: kc.getCurrentCluster()?.server,
  lease: `${leaseNamespace}/${cfg.LEASE_NAME}`,
});

const metrics = createOperatorMetrics();
const lag = createKafkaLagReader({ readSecret: createSecretReader(kc), log, timeoutMs: cfg.KAFKA_TIMEOUT });
const source = createAutoscalerInformer(kc, { namespace: cfg.NAMESPACE, log });
const elector = createLeaderElector(createLeasePort(kc, leaseNamespace, cfg.LEASE_NAME), {
  identity,
  leaseDurationMs: cfg.LEASE_DURATION,
  log,
  onStartedLeading() {
    metrics.leading(true);
    controller.resyncAll();
  },
  onStoppedLeading: () => metrics.leading(false),
});
const controller = createController({
  deps: {
    kube: createKubePort(kc, { identity }),
    lag,
    core: {
      decide,
      observe: (samples, logStartOffsets) => observeLag(samples, { logStartOffsets }),
      learnRate: (state, observation, previous, now, spec) =>
        updatePerReplicaRate(state, observation, previous, now, resolveSettings(spec).perReplicaRate),
    },
    history: createSampleHistory(),
    now: Date.now,
    log,
    isLeader: elector.isLeader,
    hooks: metrics.hooks,
  },
  source,
  // Retries back off to at most 10 s: longer would leave an autoscaler unpolled well after the API server is back.
  queue: createWorkQueue({ maxDelayMs: 10_000 }),
  concurrency: cfg.CONCURRENCY,
  log,
  metrics,
});

const server = Deno.serve(
  {
    hostname: cfg.HOST,
    port: cfg.PORT,
    onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
  },
  createHttpHandler({ ready: source.synced, isLeader: elector.isLeader, registry: metrics.metrics.registry }),
);

controller.start();
elector.start();

const shutdown = createShutdown({ deadlineMs: cfg.SHUTDOWN_TIMEOUT, log });
shutdown.register("stop reconciling", () => controller.stop());
shutdown.register("release the leader lease", () => elector.stop());
shutdown.register("close Kafka clients", () => lag.closeAll());
shutdown.register("stop HTTP", () => server.shutdown());
