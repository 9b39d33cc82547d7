/**
 * The operator's probe and metrics endpoints as a plain fetch handler. /healthz is liveness (the event
 * loop answers); /readyz is true once the autoscaler watch has listed and is running, for leader and
 * standby alike, because a standby that can see the API server is ready to take over.
 *
 * @module
 */
import { metricsResponse, type Registry } from "@kafka-edge/lib";

/** What the handler reports. */
export interface HttpState {
  ready(): boolean;
  isLeader(): boolean;
  readonly registry: Registry;
}

/** Serves GET /healthz, /readyz and /metrics. */
export function createHttpHandler(state: HttpState): (req: Request) => Promise<Response> {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  return async (req) => {
    const { pathname } = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { error: "method not allowed" });
    switch (pathname) {
      case "/healthz":
        return json(200, { status: "ok" });
      case "/readyz": {
        const ready = state.ready();
        return json(ready ? 200 : 503, { ready, leader: state.isLeader() });
      }
      case "/metrics":
        return await metricsResponse(state.registry);
      default:
        return json(404, { error: "not found" });
    }
  };
}
