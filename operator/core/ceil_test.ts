import { equal, throws } from "node:assert/strict";
import { ceilRatio } from "./ceil.ts";

Deno.test("ceilRatio rounds up real fractions and keeps exact quotients", async (t) => {
  const cases: ReadonlyArray<readonly [string, number, number, number]> = [
    ["exact integer quotient", 200, 100, 2],
    ["one event over the boundary", 201, 100, 3],
    ["one event under the boundary", 199, 100, 2],
    ["float sum landing just above 3", 0.1 + 0.2, 0.1, 3],
    ["float quotient landing just below 7", 0.7, 0.1, 7],
    ["2.0000001 is float noise, not a third replica", 2.0000001, 1, 2],
    ["2.00001 is real demand", 2.00001, 1, 3],
    ["a rate sum equal to two replicas", 150.5 + 49.5, 100, 2],
    ["nothing needed", 0, 100, 0],
    ["negative need is nothing", -5, 100, 0],
    ["large integer lag one over a multiple", 9_007_199_254_740_001, 1000, 9_007_199_254_741],
  ];
  for (const [name, numerator, denominator, expected] of cases) {
    await t.step(name, () => equal(ceilRatio(numerator, denominator), expected));
  }
});

Deno.test("ceilRatio refuses a zero or negative denominator", () => {
  throws(() => ceilRatio(1, 0), RangeError);
  throws(() => ceilRatio(1, -1), RangeError);
});
