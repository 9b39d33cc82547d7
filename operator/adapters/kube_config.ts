/**
 * Loads the client-node KubeConfig (KUBECONFIG file, else in-cluster service account, else ~/.kube/config)
 * and routes every request through one shared HTTP/1.1 undici Agent. Why the Agent:
 * - client-node 2.0.1 builds a new undici Agent per request and never closes it (one socket per call);
 * - undici 8 negotiates HTTP/2, and Deno 2.9.6's node:http2 crashes the process when kube-apiserver sends
 *   GOAWAY, which it does on every shutdown (denoland/deno#36788). The operator must survive API server
 *   restarts, so it speaks HTTP/1.1.
 * The workaround lives in lib/kube.ts, shared with the test control plane.
 *
 * @module
 */
import { KubeConfig } from "@kubernetes/client-node";
import { useSharedHttp1Dispatcher } from "@kafka-edge/lib/kube";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Where the configuration came from, for the start-up log. */
export type KubeConfigSource = "file" | "in-cluster" | "default";

/** Loads the configuration; `kubeconfig` wins, then the in-cluster service account, then defaults. */
export function loadKubeConfig(kubeconfig: string | undefined): { kc: KubeConfig; source: KubeConfigSource } {
  const kc = new KubeConfig();
  let source: KubeConfigSource;
  if (kubeconfig) {
    kc.loadFromFile(kubeconfig);
    source = "file";
  } else if (Deno.env.get("KUBERNETES_SERVICE_HOST") && existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) {
    kc.loadFromCluster();
    source = "in-cluster";
  } else {
    kc.loadFromDefault();
    source = "default";
  }
  return { kc: useSharedHttp1Dispatcher(kc), source };
}

/** The namespace of the pod the operator runs in, when in a cluster. */
export function podNamespace(): string | undefined {
  try {
    return Deno.readTextFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`).trim() || undefined;
  } catch {
    return undefined;
  }
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
