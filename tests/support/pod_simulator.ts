/**
 * Stands in for kubelet + ReplicaSet in the operator's end-to-end tests: watches a Deployment's
 * `spec.replicas` on the real API server and keeps that many worker PROCESSES running on this machine,
 * starting missing ones and SIGTERMing the newest extras (as a ReplicaSet deletes pods), and restarting
 * any that exit on their own. Every observed change of `spec.replicas` is recorded with its time, which
 * is how the tests count scale writes and measure reaction time.
 *
 * Polls the scale subresource (every `pollMs`) rather than holding a watch, so an API server restart
 * needs no reconnection logic here: reads fail for a while and the workers keep running, as pods do.
 */
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";

/** One observed value of `spec.replicas`. */
export interface ReplicaChange {
  readonly at: number;
  readonly replicas: number;
}

/** Options for {@link startPodSimulator}. */
export interface PodSimulatorOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly deployment: string;
  /** Starts worker number `index` (0-based, unique for the simulator's lifetime). */
  readonly spawn: (index: number) => Deno.ChildProcess;
  /** Default 100 ms: fine enough to time scale writes. */
  readonly pollMs?: number;
  /** SIGKILL a worker that has not exited this long after SIGTERM (default 15 s). */
  readonly stopGraceMs?: number;
}

/** A running simulator. */
export interface PodSimulator extends AsyncDisposable {
  /** Every change of `spec.replicas` seen, the first read included. */
  readonly changes: readonly ReplicaChange[];
  /** Worker processes currently running (not counting ones being stopped). */
  running(): number;
  /** The last `spec.replicas` read. */
  replicas(): number | undefined;
  /** Resolves once `predicate(replicas)` holds and that many workers run; rejects after `timeoutMs`. */
  waitFor(what: string, predicate: (replicas: number) => boolean, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

interface Worker {
  readonly index: number;
  readonly child: Deno.ChildProcess;
  exited: boolean;
}

/** Starts polling and reconciling worker processes. */
export function startPodSimulator(options: PodSimulatorOptions): PodSimulator {
  const apps = options.kc.makeApiClient(AppsV1Api);
  const pollMs = options.pollMs ?? 100;
  const graceMs = options.stopGraceMs ?? 15_000;
  const changes: ReplicaChange[] = [];
  const workers: Worker[] = [];
  const stopping = new Set<Promise<void>>();
  let desired: number | undefined;
  let nextIndex = 0;
  let stopped = false;

  function start(): void {
    const child = options.spawn(nextIndex);
    const worker: Worker = { index: nextIndex++, child, exited: false };
    child.status.then(() => (worker.exited = true));
    workers.push(worker);
  }

  function terminate(worker: Worker): void {
    const done = (async () => {
      try {
        worker.child.kill("SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          worker.child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, graceMs);
      await worker.child.status;
      clearTimeout(timer);
    })();
    stopping.add(done);
    done.finally(() => stopping.delete(done));
  }

  function converge(): void {
    // A worker that died on its own is replaced, as a ReplicaSet replaces a failed pod.
    for (let i = workers.length - 1; i >= 0; i--) if (workers[i].exited) workers.splice(i, 1);
    if (desired === undefined) return;
    while (workers.length < desired) start();
    while (workers.length > desired) terminate(workers.pop()!);
  }

  async function poll(): Promise<void> {
    try {
      const scale = await apps.readNamespacedDeploymentScale({
        name: options.deployment,
        namespace: options.namespace,
      });
      const replicas = scale.spec?.replicas ?? 0;
      if (replicas !== desired) changes.push({ at: Date.now(), replicas });
      desired = replicas;
    } catch {
      // API server away (restart test): keep what runs, as kubelet does.
    }
    converge();
  }

  const loop = (async () => {
    while (!stopped) {
      await poll();
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();

  const sim: PodSimulator = {
    changes,
    running: () => workers.filter((w) => !w.exited).length,
    replicas: () => desired,
    async waitFor(what, predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (desired !== undefined && predicate(desired) && sim.running() === desired) return desired;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; replicas=${desired}, running=${sim.running()}, ` +
          `changes=${JSON.stringify(changes.map((c) => c.replicas))}`,
      );
    },
    async stop() {
      stopped = true;
      await loop;
      while (workers.length > 0) terminate(workers.pop()!);
      await Promise.all([...stopping]);
    },
    [Symbol.asyncDispose]: () => sim.stop(),
  };
  return sim;
}
