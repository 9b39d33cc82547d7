/**
 * A real, envtest-style Kubernetes control plane for tests: etcd + kube-apiserver (and optionally
 * kube-controller-manager), built from source by tools/k8s/ensure.sh and cached, so operator tests talk to
 * the same API server code a cluster runs instead of a mock. There is no kubelet or scheduler: Pods
 * never run, but Deployments, ReplicaSets, CRDs, RBAC, server-side apply and watches are all real.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { useSharedHttp1Dispatcher } from "../kube.ts";
import { run } from "./cache.ts";
import { generateTestCerts } from "./certs.ts";
import { type Daemon, freePorts, spawnDaemon, stopDaemon, tail } from "./process.ts";

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /**
   * Also run kube-controller-manager with only the deployment, replicaset and garbage-collector
   * controllers, so scaling a Deployment creates/resizes its ReplicaSet. Off by default: it costs CPU.
   */
  readonly controllers?: boolean;
  /** Bound on building the binaries when the cache is cold (default 60 min; measured ~6 min cold on 2 cores). */
  readonly buildTimeoutMs?: number;
  /** Bound on each component becoming ready (default 120 s; a warm start of the whole plane takes ~4-5 s). */
  readonly readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. `--feature-gates=...`. */
  readonly apiServerArgs?: readonly string[];
  /** Keep the temp dir (etcd data, certs, logs) after close(), for debugging a failed test. */
  readonly keepDir?: boolean;
}

/** A running control plane. Everything listens on 127.0.0.1 only. */
export interface ControlPlane {
  /** `https://127.0.0.1:<port>`; stays the same across {@link restartApiServer}. */
  readonly server: string;
  /** Path of an admin kubeconfig (bearer token in group system:masters, CA embedded). */
  readonly kubeconfig: string;
  /** The admin bearer token written to the kubeconfig. */
  readonly token: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly caPem: string;
  /** Temp dir holding etcd data, certs and the `*.log` files of every component. */
  readonly dir: string;
  /** Directory with etcd, kube-apiserver, kube-controller-manager and kubectl. */
  readonly binDir: string;
  /**
   * A fresh client-node KubeConfig loaded from {@link kubeconfig}, with {@link useSharedHttp1Dispatcher}
   * applied so a test's own client survives API server restarts under Deno. Code under test that builds its
   * own KubeConfig must apply the same fix.
   */
  kubeConfig(): KubeConfig;
  /** Runs kubectl against this control plane and returns its combined output; throws when it fails. */
  kubectl(args: readonly string[]): Promise<string>;
  /** PIDs of the processes currently running (etcd, kube-apiserver, kube-controller-manager). */
  pids(): number[];
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** Stops and starts kube-apiserver on the same port with the same etcd data. */
  restartApiServer(): Promise<void>;
  /** Stops every process and removes the temp dir; safe to call twice. */
  close(): Promise<void>;
}

const ENSURE_SCRIPT = decodeURIComponent(new URL("../../tools/k8s/ensure.sh", import.meta.url).pathname);
const STOP_GRACE_MS = 15_000;

/** Builds the binaries if the cache is cold (serialised by a lock in ensure.sh) and returns their dir. */
export async function ensureControlPlaneBinaries(timeoutMs = 60 * 60_000): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [ENSURE_SCRIPT],
    stdin: "null",
    stdout: "piped",
    // Inherited so a cold ~6 minute build shows what it is doing instead of looking hung.
    stderr: "inherit",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const binDir = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !binDir) {
    throw new Error(`${ENSURE_SCRIPT} failed (exit ${out.code}); see its output above`);
  }
  return binDir;
}

/** The mutable inside of a {@link ControlPlane}; the public object only exposes functions over it. */
interface Runtime {
  readonly binDir: string;
  readonly dir: string;
  readonly readyMs: number;
  readonly keepDir: boolean;
  readonly http: Deno.HttpClient;
  readonly pki: Pki;
  readonly server: string;
  readonly apiArgs: readonly string[];
  etcd?: Daemon;
  apiServer?: Daemon;
  controllers?: Daemon;
  closed: boolean;
}

/** Starts etcd and kube-apiserver (plus kube-controller-manager when asked) and waits until ready. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = await ensureControlPlaneBinaries(opts.buildTimeoutMs);
  const dir = await Deno.makeTempDir({ prefix: "kafka-edge-k8s-" });
  const [etcdPort, etcdPeerPort, apiPort, controllersPort] = freePorts(4);
  const server = `https://127.0.0.1:${apiPort}`;
  const pki = await writePki(dir).catch(async (err) => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  });
  const rt: Runtime = {
    binDir,
    dir,
    readyMs: opts.readyTimeoutMs ?? 120_000,
    keepDir: !!opts.keepDir,
    http: Deno.createHttpClient({ caCerts: [pki.caPem] }),
    pki,
    server,
    apiArgs: [...apiServerArgs(dir, pki, apiPort, etcdPort), ...(opts.apiServerArgs ?? [])],
    closed: false,
  };
  try {
    await startEtcd(rt, etcdPort, etcdPeerPort);
    await startApiServer(rt);
    const kubeconfig = `${dir}/admin.kubeconfig`;
    await Deno.writeTextFile(kubeconfig, kubeconfigYaml(server, pki.caPem, pki.token));
    if (opts.controllers) await startControllers(rt, kubeconfig, controllersPort);

    return {
      server,
      kubeconfig,
      token: pki.token,
      caPem: pki.caPem,
      dir,
      binDir,
      kubeConfig() {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfig);
        return useSharedHttp1Dispatcher(kc);
      },
      kubectl: (args) => run(`${binDir}/kubectl`, ["--kubeconfig", kubeconfig, ...args]),
      pids: () => [rt.etcd, rt.apiServer, rt.controllers].filter((d) => d !== undefined).map((d) => d.pid),
      stopApiServer: () => stopApiServer(rt),
      startApiServer: () => startApiServer(rt),
      async restartApiServer() {
        await stopApiServer(rt);
        await startApiServer(rt);
      },
      close: () => close(rt),
    };
  } catch (err) {
    await close(rt);
    throw err;
  }
}

async function startEtcd(rt: Runtime, clientPort: number, peerPort: number): Promise<void> {
  const logFile = `${rt.dir}/etcd.log`;
  rt.etcd = spawnDaemon({ cmd: `${rt.binDir}/etcd`, args: etcdArgs(rt.dir, clientPort, peerPort), logFile });
  await waitReady(rt.etcd, "etcd", logFile, rt.readyMs, async () => {
    const res = await fetch(`http://127.0.0.1:${clientPort}/health`);
    return res.ok && (await res.json()).health === "true";
  });
}

async function startApiServer(rt: Runtime): Promise<void> {
  if (rt.closed) throw new Error("control plane is closed");
  if (rt.apiServer) return;
  const logFile = `${rt.dir}/kube-apiserver.log`;
  const daemon = spawnDaemon({ cmd: `${rt.binDir}/kube-apiserver`, args: rt.apiArgs, logFile });
  rt.apiServer = daemon;
  await waitReady(daemon, "kube-apiserver", logFile, rt.readyMs, async () => {
    const headers = { authorization: `Bearer ${rt.pki.token}` };
    const res = await fetch(`${rt.server}/readyz`, { client: rt.http, headers });
    await res.body?.cancel();
    return res.ok;
  });
}

async function stopApiServer(rt: Runtime): Promise<void> {
  const daemon = rt.apiServer;
  rt.apiServer = undefined;
  if (daemon) await stopDaemon(daemon, STOP_GRACE_MS);
}

async function startControllers(rt: Runtime, kubeconfig: string, port: number): Promise<void> {
  const logFile = `${rt.dir}/kube-controller-manager.log`;
  const args = controllerManagerArgs(kubeconfig, rt.pki, port);
  rt.controllers = spawnDaemon({ cmd: `${rt.binDir}/kube-controller-manager`, args, logFile });
  await waitReady(rt.controllers, "kube-controller-manager", logFile, rt.readyMs, async () => {
    const res = await fetch(`https://127.0.0.1:${port}/healthz`, { client: rt.http });
    await res.body?.cancel();
    return res.ok;
  });
}

async function close(rt: Runtime): Promise<void> {
  if (rt.closed) return;
  rt.closed = true;
  // Reverse start order, so nothing logs a storm of connection errors while its dependency goes away.
  for (const name of ["controllers", "apiServer", "etcd"] as const) {
    const daemon = rt[name];
    rt[name] = undefined;
    if (daemon) await stopDaemon(daemon, STOP_GRACE_MS);
  }
  rt.http.close();
  if (!rt.keepDir) await Deno.remove(rt.dir, { recursive: true }).catch(() => {});
}

interface Pki {
  readonly caPem: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly serviceAccountKeyFile: string;
  readonly tokenFile: string;
  readonly token: string;
}

/** Serving certs, the service-account signing key and the static token file. */
async function writePki(dir: string): Promise<Pki> {
  const certs = await generateTestCerts(`${dir}/pki`);
  const serviceAccountKeyFile = `${dir}/pki/service-account.key`;
  await run("openssl", [
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    serviceAccountKeyFile,
  ]);
  const token = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const tokenFile = `${dir}/pki/tokens.csv`;
  // token,user,uid,"groups": system:masters bypasses RBAC, like a cluster-admin kubeconfig.
  await Deno.writeTextFile(tokenFile, `${token},kafka-edge-admin,kafka-edge-admin,"system:masters"\n`);
  return {
    caPem: certs.caPem,
    caFile: certs.caFile,
    certFile: certs.serverCertFile,
    keyFile: certs.serverKeyFile,
    serviceAccountKeyFile,
    tokenFile,
    token,
  };
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=default",
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Test data is throwaway; fsync on every write makes the API server noticeably slower.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

function apiServerArgs(dir: string, pki: Pki, port: number, etcdPort: number): string[] {
  return [
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${port}`,
    `--cert-dir=${dir}/apiserver-certs`,
    `--tls-cert-file=${pki.certFile}`,
    `--tls-private-key-file=${pki.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--token-auth-file=${pki.tokenFile}`,
    "--authorization-mode=RBAC",
    "--service-cluster-ip-range=10.0.0.0/24",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.serviceAccountKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    // No token controller or default ServiceAccounts exist without a full controller manager, so the
    // ServiceAccount admission plugin would reject every Pod a ReplicaSet creates.
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    // The "kubernetes" Service endpoints reconciler rejects a loopback advertise address and logs forever.
    "--endpoint-reconciler-type=none",
    "--profiling=false",
    // Close open watches (the controller manager's, the operator's) when stopping; otherwise HTTP/2
    // graceful shutdown waits for them and a restart takes 60 s instead of about 1 s.
    "--shutdown-watch-termination-grace-period=2s",
  ];
}

function controllerManagerArgs(kubeconfig: string, pki: Pki, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--controllers=deployment-controller,replicaset-controller,garbage-collector-controller",
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    // Our CA signed this cert, so the readiness probe can verify it like the API server's.
    `--tls-cert-file=${pki.certFile}`,
    `--tls-private-key-file=${pki.keyFile}`,
    "--profiling=false",
  ];
}

function kubeconfigYaml(server: string, caPem: string, token: string): string {
  const caData = btoa(caPem);
  return `apiVersion: v1
kind: Config
clusters:
  - name: kafka-edge-test
    cluster:
      server: ${server}
      certificate-authority-data: ${caData}
users:
  - name: kafka-edge-admin
    user:
      token: ${token}
contexts:
  - name: kafka-edge-test
    context:
      cluster: kafka-edge-test
      user: kafka-edge-admin
      namespace: default
current-context: kafka-edge-test
`;
}

/**
 * Polls `probe` until it returns true. Fails fast when the process exits instead of waiting out the
 * timeout, and puts the end of its log in the error, which is where the real reason is.
 */
async function waitReady(
  daemon: Daemon,
  what: string,
  logFile: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  let exit: Deno.CommandStatus | undefined;
  daemon.status.then((status) => exit = status);
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(
        `${what} exited with code ${exit.code} before becoming ready; ${logFile}:\n${await tail(logFile)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms (last probe error: ${
      lastError || "none"
    }); ${logFile}:\n${await tail(logFile)}`,
  );
}

/** Re-exported for tests that build their own KubeConfig. */
export { useSharedHttp1Dispatcher };
