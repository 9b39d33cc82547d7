/** A manual clock for tests: time moves only when `advance` is called. */
import type { Clock } from "../shutdown.ts";

/** A {@link Clock} whose timers fire only inside `advance`. */
export interface FakeClock extends Clock {
  advance(ms: number): Promise<void>;
  readonly pending: number;
}

/** Creates a fake clock starting at `start` ms. */
export function createFakeClock(start = 1_000_000): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    get pending() {
      return timers.size;
    },
    async advance(ms) {
      const target = now + ms;
      while (true) {
        await flushMicrotasks();
        const due = [...timers.entries()].filter(([, t]) =>
          t.at <= target
        ).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = target;
      await flushMicrotasks();
    },
  };
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
