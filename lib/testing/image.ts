/**
 * How a service's container image runs Deno, read from its Dockerfile: the `--v8-flags` of its ENTRYPOINT
 * and the variables its `ENV` lines set. Tests and benchmarks that judge memory or speed run the process
 * with these, so that a figure measured here is the one the image would show, and a change to the image's
 * flags changes what they measure without a second copy of them to forget.
 *
 * @module
 */

/** What an image's Dockerfile sets for the `deno run` it starts. */
export interface ImageRuntime {
  /** The value of `--v8-flags=` in the ENTRYPOINT, or undefined when it sets none. */
  readonly v8Flags: string | undefined;
  /** Every `ENV` variable, in file order (a later line wins), with Deno's cache and prompt settings left out. */
  readonly env: Readonly<Record<string, string>>;
}

// Where the image keeps its module cache, and prompts it disables: meaningless (or harmful) outside it.
const IMAGE_ONLY = new Set(["DENO_DIR", "DENO_NO_UPDATE_CHECK", "DENO_NO_PROMPT"]);

/** Parses the runtime settings out of a Dockerfile's text; throws when it has no JSON-form ENTRYPOINT. */
export function parseImageRuntime(dockerfile: string): ImageRuntime {
  const env: Record<string, string> = {};
  let entrypoint: string[] | undefined;
  for (const raw of dockerfile.split("\n")) {
    const line = raw.trim();
    const envLine = line.match(/^ENV\s+(.+)$/);
    if (envLine) {
      // Only the `ENV A=1 B=2` form: values here never contain spaces or quotes.
      for (const pair of envLine[1].split(/\s+/)) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new Error(`Dockerfile line "${line}": expected ENV NAME=value pairs`);
        const name = pair.slice(0, eq);
        if (!IMAGE_ONLY.has(name)) env[name] = pair.slice(eq + 1);
      }
    }
    const ep = line.match(/^ENTRYPOINT\s+(\[.*\])$/);
    if (ep) entrypoint = JSON.parse(ep[1]);
  }
  if (!entrypoint) throw new Error("Dockerfile has no ENTRYPOINT in JSON form");
  const flag = entrypoint.find((arg) => arg.startsWith("--v8-flags="));
  return { v8Flags: flag?.slice("--v8-flags=".length), env };
}

/** Reads and parses a Dockerfile (see {@link parseImageRuntime}). */
export async function imageRuntime(dockerfile: URL): Promise<ImageRuntime> {
  return parseImageRuntime(await Deno.readTextFile(dockerfile));
}
