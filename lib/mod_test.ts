import assert from "node:assert/strict";
import * as lib from "./mod.ts";
import * as config from "./config.ts";
import * as envelope from "./envelope.ts";
import * as httpError from "./http_error.ts";
import * as kafka from "./kafka.ts";
import * as log from "./log.ts";
import * as metrics from "./metrics.ts";
import * as shutdown from "./shutdown.ts";

Deno.test("mod.ts re-exports every runtime export of every lib module unchanged", () => {
  const modules = { config, envelope, httpError, kafka, log, metrics, shutdown };
  const exported = lib as Record<string, unknown>;
  for (const [moduleName, mod] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(mod)) {
      assert.equal(exported[name], value, `${moduleName}.${name}`);
    }
  }
});
