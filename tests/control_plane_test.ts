/**
 * The test control plane against a real etcd + kube-apiserver + kube-controller-manager, driven through
 * @kubernetes/client-node 2.x under Deno (undici over TLS with our own CA and a bearer token).
 */
import assert from "node:assert/strict";
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  type V1Deployment,
  VersionApi,
} from "@kubernetes/client-node";
import { startControlPlane } from "../lib/testing/control_plane.ts";

const NAMESPACE = "lag-test";
const FIELD_MANAGER = "kafka-edge-test";

/** Polls `probe` until it returns a value, bounded by `timeoutMs`. */
async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${lastError}`);
}

function deployment(name: string): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "consumer", image: "registry.invalid/consumer:1" }] },
      },
    },
  };
}

const consumerGroupsCrd: V1CustomResourceDefinition = {
  metadata: { name: "consumergroups.kafka-edge.dev" },
  spec: {
    group: "kafka-edge.dev",
    scope: "Namespaced",
    names: { plural: "consumergroups", singular: "consumergroup", kind: "ConsumerGroup" },
    versions: [{
      name: "v1alpha1",
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: { spec: { type: "object", properties: { topic: { type: "string" } } } },
        },
      },
    }],
  },
};

Deno.test({
  name: "control plane: real kube-apiserver serves client-node, survives a restart and leaves no process",
  // client-node keeps undici keep-alive sockets and timers in its module-level dispatcher cache.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const plane = await startControlPlane({ controllers: true });
    try {
      const kc = plane.kubeConfig();
      const core = kc.makeApiClient(CoreV1Api);
      const apps = kc.makeApiClient(AppsV1Api);

      await t.step(
        "client-node reaches the API server over TLS with the test CA and a bearer token",
        async () => {
          const version = await kc.makeApiClient(VersionApi).getCode();
          assert.match(version.gitVersion, /^v1\.\d+\.\d+$/);
          assert.match(plane.server, /^https:\/\/127\.0\.0\.1:\d+$/);
        },
      );

      await t.step("the API server rejects a request without the token", async () => {
        const client = Deno.createHttpClient({ caCerts: [plane.caPem] });
        const res = await fetch(`${plane.server}/api/v1/namespaces`, { client });
        await res.body?.cancel();
        client.close();
        assert.ok(res.status === 401 || res.status === 403, `status ${res.status}`);
      });

      await t.step("a Deployment's scale subresource can be patched and read back", async () => {
        await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
        await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: deployment("consumer") });
        await apps.patchNamespacedDeploymentScale(
          { name: "consumer", namespace: NAMESPACE, body: { spec: { replicas: 3 } } },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        const scale = await apps.readNamespacedDeploymentScale({ name: "consumer", namespace: NAMESPACE });
        assert.equal(scale.spec?.replicas, 3);
      });

      await t.step("kube-controller-manager sizes the Deployment's ReplicaSet to the new scale", async () => {
        const replicas = await eventually("a ReplicaSet with 3 replicas", 60_000, async () => {
          const list = await apps.listNamespacedReplicaSet({
            namespace: NAMESPACE,
            labelSelector: "app=consumer",
          });
          const owned = list.items.find((rs) => rs.metadata?.ownerReferences?.[0]?.name === "consumer");
          return owned?.spec?.replicas === 3 ? owned.spec.replicas : undefined;
        });
        assert.equal(replicas, 3);
      });

      await t.step("an installed CRD becomes Established", async () => {
        const ext = kc.makeApiClient(ApiextensionsV1Api);
        await ext.createCustomResourceDefinition({ body: consumerGroupsCrd });
        await eventually("the CRD to be Established", 30_000, async () => {
          const crd = await ext.readCustomResourceDefinition({ name: consumerGroupsCrd.metadata!.name! });
          const established = crd.status?.conditions?.find((c) => c.type === "Established");
          return established?.status === "True" ? true : undefined;
        });
      });

      await t.step("server-side apply with fieldValidation=Strict applies known fields", async () => {
        const applied = await core.patchNamespacedConfigMap(
          {
            name: "lag-thresholds",
            namespace: NAMESPACE,
            body: {
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: "lag-thresholds" },
              data: { max: "100" },
            },
            fieldManager: FIELD_MANAGER,
            fieldValidation: "Strict",
            force: true,
          },
          setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
        );
        assert.equal(applied.data?.max, "100");
        assert.ok(applied.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER));
      });

      await t.step(
        "server-side apply rejects an unknown field with a 500, even though Strict asks for 400",
        async () => {
          // Measured on v1.34.4: apply always type-checks against the schema and reports unknown fields as
          // an internal error, for built-in kinds and CRDs alike and whatever fieldValidation says. Callers
          // must not treat a 500 from an apply as retryable without looking at the message.
          const err = await core.patchNamespacedConfigMap(
            {
              name: "lag-thresholds",
              namespace: NAMESPACE,
              body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lag-thresholds" }, bogus: 1 },
              fieldManager: FIELD_MANAGER,
              fieldValidation: "Strict",
              force: true,
            },
            setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
          ).then(() => undefined, (e: unknown) => e);
          assert.ok(err instanceof ApiException, `expected ApiException, got ${err}`);
          assert.equal(err.code, 500);
          assert.match(String(err.body), /\.bogus: field not declared in schema/);
        },
      );

      await t.step("kubectl built alongside the API server can server-side apply too", async () => {
        const manifest = `${plane.dir}/group.yaml`;
        await Deno.writeTextFile(
          manifest,
          `apiVersion: kafka-edge.dev/v1alpha1\nkind: ConsumerGroup\nmetadata: {name: orders, namespace: ${NAMESPACE}}\n` +
            "spec: {topic: orders}\n",
        );
        const out = await plane.kubectl([
          "apply",
          "--server-side",
          "--field-manager",
          FIELD_MANAGER,
          "-f",
          manifest,
        ]);
        assert.match(out, /consumergroup.kafka-edge.dev\/orders serverside-applied/);
      });

      await t.step(
        "after an API server restart the same client works again on the same address",
        async () => {
          const serverBefore = plane.server;
          await plane.restartApiServer();
          assert.equal(plane.server, serverBefore);
          // Stale keep-alive sockets may fail the first request after a restart; callers must retry.
          const ns = await eventually(
            "the namespace to be readable again",
            30_000,
            () => core.readNamespace({ name: NAMESPACE }),
          );
          assert.equal(ns.metadata?.name, NAMESPACE);
          const scale = await apps.readNamespacedDeploymentScale({ name: "consumer", namespace: NAMESPACE });
          assert.equal(scale.spec?.replicas, 3, "etcd data survives the restart");
        },
      );

      await t.step(
        "while the API server is stopped requests fail, and succeed once it is started",
        async () => {
          await plane.stopApiServer();
          await assert.rejects(core.readNamespace({ name: NAMESPACE }));
          await plane.startApiServer();
          const ns = await eventually(
            "the namespace after start",
            30_000,
            () => core.readNamespace({ name: NAMESPACE }),
          );
          assert.equal(ns.metadata?.name, NAMESPACE);
        },
      );
    } finally {
      const pids = plane.pids();
      await plane.close();
      await t.step("close() leaves no control-plane process behind", async () => {
        assert.ok(pids.length >= 3, `expected etcd, kube-apiserver and controllers, got ${pids}`);
        const out = await new Deno.Command("pgrep", { args: ["-f", plane.dir], stdout: "piped" }).output();
        assert.equal(
          new TextDecoder().decode(out.stdout).trim(),
          "",
          `processes still running for ${plane.dir}`,
        );
        for (const pid of pids) {
          assert.ok(!(await exists(`/proc/${pid}`)), `pid ${pid} still exists`);
        }
      });
    }
  },
});

Deno.test({
  name: "control plane: processes die with a test process that is SIGKILLed before close()",
  async fn() {
    const repoRoot = new URL("../", import.meta.url);
    const script = `
      import { startControlPlane } from "${new URL("lib/testing/control_plane.ts", repoRoot)}";
      const plane = await startControlPlane();
      console.log(JSON.stringify({ pids: plane.pids(), dir: plane.dir }));
      await new Promise(() => {});
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      cwd: repoRoot.pathname,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const { pids, dir } = await readFirstLineAsJson<{ pids: number[]; dir: string }>(child.stdout, 180_000);
    assert.equal(pids.length, 2, "etcd and kube-apiserver");
    child.kill("SIGKILL");
    await child.status;
    // setpriv --pdeathsig KILL delivers the signal when the parent dies; give the kernel a moment.
    await eventually("the control-plane processes to be gone", 10_000, async () => {
      const alive = await Promise.all(pids.map((pid) => exists(`/proc/${pid}`)));
      return alive.some((a) => a) ? undefined : true;
    });
    // The killed process never ran close(), so its temp dir is ours to remove.
    await Deno.remove(dir, { recursive: true });
  },
});

async function readFirstLineAsJson<T>(stream: ReadableStream<Uint8Array>, timeoutMs: number): Promise<T> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => reader.cancel("timeout"), timeoutMs);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited before printing a line; got: ${text}`);
      text += value;
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel();
  }
  return JSON.parse(text.slice(0, text.indexOf("\n")));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
