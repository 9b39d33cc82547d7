import assert from "node:assert/strict";
import { hpaProposal, kedaDefaults, kedaMetric } from "./keda.ts";
import { type DecisionRecord, oursPolicy } from "./ours.ts";
import { reportTrace } from "./report.ts";
import { simulate } from "./run.ts";
import { SIM_SPEC } from "./scenario.ts";
import { allTraces, noisySinusoidTrace, stepTrace } from "./trace.ts";
import type { LagSample } from "../core/types.ts";

Deno.test("the simulation is deterministic: the same trace gives the same rows", () => {
  const first = reportTrace(stepTrace());
  const second = reportTrace(stepTrace());
  assert.deepEqual(JSON.stringify(first.rows), JSON.stringify(second.rows));
  assert.deepEqual(first.runs[0].writes, second.runs[0].writes);
});

Deno.test("our policy never runs more replicas than partitions, on any trace", () => {
  for (const trace of allTraces()) {
    const run = simulate(trace, oursPolicy(SIM_SPEC));
    assert.ok(Math.max(...run.replicas) <= trace.partitions, `${trace.name}: ${Math.max(...run.replicas)}`);
  }
});

Deno.test("our policy writes nothing while lag cannot be read, and says it is fail-static", () => {
  const log: DecisionRecord[] = [];
  // Offsets unreadable from just before the step until well after it: no decision may act on stale data.
  const readFails = (t: number) => t >= 60 && t < 120;
  const run = simulate(stepTrace(), oursPolicy(SIM_SPEC, log), { readFails });
  assert.ok(run.writes.every((w) => !readFails(w.at)), JSON.stringify(run.writes));
  const failed = log.filter((r) => r.readFailed);
  assert.ok(failed.length > 0);
  for (const record of failed) {
    assert.equal(record.decision.desired, record.decision.state.currentReplicas);
    assert.match(record.decision.reason, /fail-static/);
  }
});

Deno.test("the KEDA model lets a remainder past its partition cap (one idle consumer)", () => {
  const partitions = 4;
  const sample: LagSample = {
    at: 0,
    partitions: Array.from({ length: partitions }, (_, partition) => ({
      topic: "t",
      partition,
      logEndOffset: 1125n,
      committedOffset: 0n,
    })),
  };
  const config = kedaDefaults(1000, 1, 10);
  // 4500 total lag: 4500 / 1000 = 4 in integer division, not above 4 partitions, so no cap…
  assert.equal(kedaMetric(sample, 1000), 4500);
  // …and the HPA asks for ceil(4.5) = 5 replicas on 4 partitions.
  assert.equal(hpaProposal(4500, 2, config), 5);
});

Deno.test("on noisy arrivals our policy does not flap: at most two reversals per period, over several seeds", () => {
  for (const seed of [1, 2, 3]) {
    const trace = noisySinusoidTrace(0.15, seed);
    const run = simulate(trace, oursPolicy(SIM_SPEC));
    let reversals = 0;
    for (let i = 1; i < run.writes.length; i++) {
      const before = Math.sign(run.writes[i - 1].to - run.writes[i - 1].from);
      if (Math.sign(run.writes[i].to - run.writes[i].from) !== before) reversals++;
    }
    const periods = trace.durationSeconds / trace.periodSeconds!;
    assert.ok(reversals <= 2 * periods, `seed ${seed}: ${reversals} reversals in ${periods} periods`);
  }
});
