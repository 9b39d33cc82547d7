/**
 * Java dependencies fetched from Maven Central by a recipe pom (`mvn dependency:copy-dependencies`), cached
 * under the fixture cache and keyed by the pom's content, so editing a pom fetches afresh and nothing else
 * ever does. Concurrent callers share one download.
 */
import { cacheRoot, digest, ensureCommand, exists, run, withFileLock } from "./cache.ts";

/** Makes sure the pom's runtime dependencies are cached; returns the directory holding the jars. */
export async function ensureMavenJars(pomUrl: URL, cacheName: string): Promise<string> {
  const pom = await Deno.readTextFile(pomUrl);
  const dir = `${cacheRoot()}/${cacheName}-${await digest(pom)}`;
  if (await exists(`${dir}/.complete`)) return `${dir}/libs`;
  await ensureCommand("java", "openjdk-17-jre-headless");
  await ensureCommand("mvn", "maven");
  await withFileLock(`${dir}.lock`, async () => {
    if (await exists(`${dir}/.complete`)) return;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await run("mvn", [
      "-B",
      "-q",
      "-f",
      pomUrl.pathname,
      `-Dmaven.repo.local=${cacheRoot()}/m2`,
      "dependency:copy-dependencies",
      `-DoutputDirectory=${dir}/libs`,
      "-DincludeScope=runtime",
    ]);
    await Deno.writeTextFile(`${dir}/.complete`, new Date().toISOString());
  });
  return `${dir}/libs`;
}

/** A `<name>value</name>` property of a pom, e.g. `kafka.version`. */
export function pomProperty(pom: string, name: string): string {
  return pom.match(new RegExp(`<${name.replaceAll(".", "\\.")}>([^<]+)</`))?.[1] ?? "unknown";
}
