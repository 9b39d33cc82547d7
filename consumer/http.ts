/** The worker's HTTP surface: /healthz, /readyz, /metrics. */
import { errorResponse, metricsResponse, type Registry } from "@kafka-edge/lib";
import type { Health, ProbeStatus } from "./core/health.ts";

function probe(status: ProbeStatus): Response {
  return Response.json({ status: status.ok ? "ok" : "unavailable", ...status.detail }, {
    status: status.ok ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}

/** A fetch handler for Deno.serve. */
export function createHttpHandler(
  health: Health,
  registry: Registry,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return errorResponse("bad_request", { message: "only GET is supported" });
    }
    if (pathname === "/healthz") return probe(health.live());
    if (pathname === "/readyz") return probe(health.ready());
    if (pathname === "/metrics") return await metricsResponse(registry);
    return errorResponse("not_found");
  };
}
