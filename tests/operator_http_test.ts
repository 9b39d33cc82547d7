/** The operator's probe and metrics endpoints, called in-process. */
import assert from "node:assert/strict";
import { createHttpHandler } from "../operator/controller/http.ts";
import { createOperatorMetrics } from "../operator/controller/metrics.ts";

Deno.test("http: /healthz is ok, /readyz follows the watch and reports leadership, /metrics has the operator's series", async () => {
  const m = createOperatorMetrics();
  let ready = false;
  const handler = createHttpHandler({
    ready: () => ready,
    isLeader: () => true,
    registry: m.metrics.registry,
  });
  const get = (path: string) => handler(new Request(`http://operator${path}`));

  assert.equal((await get("/healthz")).status, 200);
  const notReady = await get("/readyz");
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { ready: false, leader: true });
  ready = true;
  assert.equal((await get("/readyz")).status, 200);

  m.hooks.onScaleWrite?.("ns/orders", 1, 6);
  m.reconciled("scaled", 0.02);
  m.leading(true);
  const body = await (await get("/metrics")).text();
  assert.match(body, /edge_operator_scale_writes_total\{autoscaler="ns\/orders",direction="up"\} 1/);
  assert.match(body, /edge_operator_reconciles_total\{outcome="scaled"\} 1/);
  assert.match(body, /edge_operator_leader 1/);
  assert.equal((await get("/nope")).status, 404);
  assert.equal((await handler(new Request("http://operator/healthz", { method: "POST" }))).status, 405);
});
