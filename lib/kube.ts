/**
 * client-node glue shared by the operator and the test control plane: the only module in lib that imports
 * @kubernetes/client-node.
 *
 * @module
 */
import { type Cluster, KubeConfig } from "@kubernetes/client-node";
// Same range as client-node's own undici dependency, so Deno resolves both to one copy.
import { Agent } from "undici";

type DispatcherFactory = (cluster: Cluster | null, agentOptions: Record<string, unknown>) => unknown;

/**
 * Makes `kc` send every request through one shared HTTP/1.1 undici Agent per TLS identity. Why:
 * - client-node 2.0.1 builds a new undici Agent for every request and never closes it, so each API call
 *   leaves one more TLS connection open (20 calls: 21 sockets);
 * - undici 8 negotiates HTTP/2 by default, and Deno 2.9.6's node:http2 crashes the whole process
 *   (SIGSEGV, exit 139, or an nghttp2 assertion) when the server sends GOAWAY, which kube-apiserver does on
 *   every shutdown (denoland/deno#36788). HTTP/1.1 to the same server survives restarts.
 * Proxy and SOCKS setups keep client-node's own dispatcher.
 */
export function useSharedHttp1Dispatcher(kc: KubeConfig): KubeConfig {
  // createDispatcher is private in client-node's typings but is the one place every API call, watch and
  // log stream gets its dispatcher from, so replacing it on the instance covers all of them.
  const patchable = kc as unknown as { createDispatcher: DispatcherFactory };
  const original = patchable.createDispatcher.bind(kc);
  const agents = new Map<string, Agent>();
  patchable.createDispatcher = (cluster, agentOptions) => {
    const opts = kc.createDispatcherOptions(cluster, agentOptions);
    if (opts.type !== "agent" && opts.type !== "none") return original(cluster, agentOptions);
    const connect = opts.type === "agent" ? opts.connect : {};
    const key = JSON.stringify(connect);
    let agent = agents.get(key);
    if (!agent) {
      agent = new Agent({ connect, allowH2: false });
      agents.set(key, agent);
    }
    return agent;
  };
  return kc;
}

/** A fresh KubeConfig; re-exported so callers need not import client-node for the type alone. */
export { KubeConfig };
