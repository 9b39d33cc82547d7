/**
 * Server-side apply of arbitrary manifests against a real API server with `fieldValidation=Strict`, keeping
 * every rejection and every `Warning` header instead of stopping at the first, so one test run shows all
 * that is wrong with a synthesized set. Plain fetch: the resource path of any kind, built-in or CRD, comes
 * from API discovery.
 *
 * @module
 */

/** A manifest's identity in reports. */
export function describeObject(
  m: { kind?: string; metadata?: { name?: string; namespace?: string } },
): string {
  const ns = m.metadata?.namespace ? `${m.metadata.namespace}/` : "";
  return `${m.kind}/${ns}${m.metadata?.name}`;
}

/** What applying a set of manifests produced. */
export interface ApplyReport {
  readonly applied: string[];
  readonly rejected: { readonly object: string; readonly status: number; readonly message: string }[];
  readonly warnings: { readonly object: string; readonly warning: string }[];
}

interface ResourceInfo {
  readonly plural: string;
  readonly namespaced: boolean;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

/** Applies manifests to one API server as a cluster admin (bearer token). */
export class StrictApplier {
  readonly #http: Deno.HttpClient;
  readonly #discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(readonly server: string, readonly token: string, caPem: string) {
    this.#http = Deno.createHttpClient({ caCerts: [caPem] });
  }

  close(): void {
    this.#http.close();
  }

  async #request(method: string, path: string, body?: string, contentType?: string): Promise<Response> {
    return await fetch(`${this.server}${path}`, {
      method,
      client: this.#http,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: "application/json",
        ...(contentType ? { "content-type": contentType } : {}),
      },
      body,
    });
  }

  async #resources(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const cached = this.#discovery.get(apiVersion);
    if (cached) return cached;
    const res = await this.#request(
      "GET",
      apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
    );
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const list = await res.json() as { resources: { name: string; kind: string; namespaced: boolean }[] };
    const byKind = new Map<string, ResourceInfo>();
    for (const r of list.resources) {
      if (!r.name.includes("/")) byKind.set(r.kind, { plural: r.name, namespaced: r.namespaced });
    }
    this.#discovery.set(apiVersion, byKind);
    return byKind;
  }

  /** The REST path of a kind; waits (bounded) for a freshly created CRD to show up in discovery. */
  async #info(obj: Obj): Promise<ResourceInfo> {
    const deadline = Date.now() + 30_000;
    while (true) {
      const info = (await this.#resources(obj.apiVersion))?.get(obj.kind);
      if (info) return info;
      if (Date.now() > deadline) throw new Error(`API server does not serve ${obj.apiVersion} ${obj.kind}`);
      this.#discovery.delete(obj.apiVersion);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Server-side applies `manifests` in order, recording every outcome. */
  async applyAll(manifests: readonly unknown[], fieldManager = "kafka-edge-test"): Promise<ApplyReport> {
    const report: ApplyReport = { applied: [], rejected: [], warnings: [] };
    for (const m of manifests) {
      const obj = m as Obj;
      const name = describeObject(obj);
      const info = await this.#info(obj);
      const prefix = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
      const ns = info.namespaced ? `/namespaces/${obj.metadata.namespace ?? "default"}` : "";
      const query = `fieldManager=${fieldManager}&fieldValidation=Strict&force=true`;
      const res = await this.#request(
        "PATCH",
        `${prefix}${ns}/${info.plural}/${encodeURIComponent(obj.metadata.name)}?${query}`,
        JSON.stringify(obj),
        "application/apply-patch+yaml",
      );
      const warning = res.headers.get("warning");
      if (warning) report.warnings.push({ object: name, warning });
      const text = await res.text();
      if (res.ok) report.applied.push(name);
      else {
        let message = text;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch { /* not JSON: keep the text */ }
        report.rejected.push({ object: name, status: res.status, message });
      }
    }
    return report;
  }

  /** Waits until every named CRD reports Established (its kinds are then served). */
  async waitEstablished(names: readonly string[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const name of names) {
      while (true) {
        const res = await this.#request(
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        const crd = res.ok ? await res.json() : (await res.body?.cancel(), undefined);
        const established = crd?.status?.conditions?.some((c: { type: string; status: string }) =>
          c.type === "Established" && c.status === "True"
        );
        if (established) break;
        if (Date.now() > deadline) throw new Error(`CRD ${name} not established after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
