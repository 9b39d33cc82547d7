/**
 * Paths and tools the k8s tests need from outside the repo: the Strimzi/KEDA CRDs (read from shared/, never
 * copied into the repo) and a helm binary built by tools/helm/ensure.sh.
 *
 * @module
 */
import { parseAllDocuments } from "yaml";

const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

/** Directory with `strimzi/` and `keda/` CRD files: KAFKA_EDGE_CRDS_DIR, else ../shared/crds beside the repo. */
export function crdsDir(): string {
  return Deno.env.get("KAFKA_EDGE_CRDS_DIR") ?? here("../../../shared/crds");
}

/** Every CRD object in the YAML files under `dir` (recursively), in file-name order. */
export async function readCrds(dir: string): Promise<Record<string, unknown>[]> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else if (/\.ya?ml$/.test(e.name)) files.push(`${d}/${e.name}`);
    }
  };
  try {
    await walk(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new Error(
      `the Strimzi and KEDA CRDs were not found at ${dir}; put shared/ beside the repo or set KAFKA_EDGE_CRDS_DIR`,
    );
  }
  const crds: Record<string, unknown>[] = [];
  for (const file of files.sort()) {
    for (const doc of parseAllDocuments(await Deno.readTextFile(file))) {
      const obj = doc.toJS() as Record<string, unknown> | null;
      if (obj?.kind === "CustomResourceDefinition") crds.push(obj);
    }
  }
  return crds;
}

/** Parses multi-document YAML (e.g. `helm template` output) into its non-empty objects. */
export function parseManifests(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => o !== null && typeof o === "object");
}

/** Path of a helm binary, building it on first use (see tools/helm/ensure.sh). */
export async function ensureHelm(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [here("../../tools/helm/ensure.sh")],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(30 * 60_000),
  }).output();
  const bin = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !bin) {
    throw new Error(`tools/helm/ensure.sh failed (exit ${out.code}); see its output above`);
  }
  return bin;
}

/** Runs helm; returns stdout, throws with stderr on failure. */
export async function helm(bin: string, args: readonly string[]): Promise<string> {
  const out = await new Deno.Command(bin, { args: [...args], stdout: "piped", stderr: "piped" }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `helm ${args.join(" ")} failed (exit ${out.code}):\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return stdout;
}
