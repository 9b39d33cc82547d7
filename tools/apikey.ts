/**
 * Mints and hashes gateway API keys. The key file holds only hashes, so this is the one moment a
 * key is seen in clear; nothing is written to disk.
 *
 *     deno run tools/apikey.ts new <id> [--topics orders,payments | --topics '*'] [--rate 100:200]
 *     deno run tools/apikey.ts hash < key.txt      # hash of an existing key, e.g. for a migration
 */
import { stringify } from "yaml";
import {
  ApiKeyFileError,
  generateApiKey,
  parseApiKeyFile,
  sha256Hex,
} from "../producer/core/auth/api_key.ts";

const USAGE = `usage:
  deno run tools/apikey.ts new <id> [--topics orders,payments | --topics '*'] [--rate perSecond:burst]
  deno run tools/apikey.ts hash < key.txt`;

/** What `new` prints: the key once, then the file entry holding only its hash. */
export interface NewKey {
  readonly key: string;
  readonly entryYaml: string;
}

/** Builds a key and its validated file entry from `new`'s arguments; throws with a usage hint. */
export async function newKey(args: readonly string[]): Promise<NewKey> {
  const [id, ...rest] = args;
  if (id === undefined || id.startsWith("--")) throw new Error(`missing <id>\n${USAGE}`);
  let topics: string[] | "*" = "*";
  let rate: { perSecond: number; burst: number } | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === "--topics") topics = value === "*" ? "*" : value.split(",").map((t) => t.trim());
    else if (flag === "--rate") {
      const [perSecond, burst] = value.split(":").map(Number);
      rate = { perSecond, burst: burst ?? perSecond };
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  const key = generateApiKey();
  const entry = { id, sha256: await sha256Hex(key), topics, ...(rate ? { rate } : {}) };
  // Same validation as the gateway's, so a printed entry is never one the gateway refuses.
  parseApiKeyFile({ keys: [entry] }, "entry");
  return { key, entryYaml: stringify([entry], { flow: false }).trimEnd() };
}

async function main(args: readonly string[]): Promise<number> {
  try {
    if (args[0] === "new") {
      const { key, entryYaml } = await newKey(args.slice(1));
      console.error(
        `# API key for ${JSON.stringify(args[1])}; shown only now, store it in your secret manager:`,
      );
      console.log(key);
      console.error("# add this entry under `keys:` in the API keys file:");
      console.log(entryYaml);
      return 0;
    }
    if (args[0] === "hash") {
      const key = (await new Response(Deno.stdin.readable).text()).trim();
      if (key === "") throw new Error("no key on stdin");
      console.log(await sha256Hex(key));
      return 0;
    }
    console.error(USAGE);
    return 2;
  } catch (err) {
    console.error(err instanceof ApiKeyFileError ? err.problems.join("\n") : (err as Error).message);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
