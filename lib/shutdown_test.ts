import assert from "node:assert/strict";
import { createLogger } from "./log.ts";
import { type Clock, createShutdown, type SignalSource } from "./shutdown.ts";

class FakeClock implements Clock {
  #now = 0;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.#timers.delete(id as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order and letting promise callbacks run in between. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    while (true) {
      await flush();
      const due = [...this.#timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = target;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

class FakeSignals implements SignalSource {
  readonly handlers = new Map<Deno.Signal, Set<() => void>>();

  add(signal: Deno.Signal, handler: () => void): void {
    if (!this.handlers.has(signal)) this.handlers.set(signal, new Set());
    this.handlers.get(signal)!.add(handler);
  }

  remove(signal: Deno.Signal, handler: () => void): void {
    this.handlers.get(signal)?.delete(handler);
  }

  emit(signal: Deno.Signal): void {
    for (const handler of [...(this.handlers.get(signal) ?? [])]) handler();
  }

  get count(): number {
    return [...this.handlers.values()].reduce((n, set) => n + set.size, 0);
  }
}

function setup(deadlineMs = 1_000) {
  const clock = new FakeClock();
  const signals = new FakeSignals();
  const exits: number[] = [];
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: (l) => lines.push(l), clock });
  const shutdown = createShutdown({
    deadlineMs,
    log,
    clock,
    signalSource: signals,
    exit: (code) => exits.push(code),
  });
  const records = () => lines.map((l) => JSON.parse(l));
  return { clock, signals, exits, shutdown, records };
}

function sleep(clock: FakeClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

Deno.test("shutdown runs steps in registration order, awaiting each, then exits 0", async () => {
  const { clock, signals, exits, shutdown } = setup();
  const events: string[] = [];
  shutdown.register("stop http", async () => {
    events.push("http:start");
    await sleep(clock, 100);
    events.push("http:end");
  });
  shutdown.register("flush producer", async () => {
    events.push("flush:start");
    await sleep(clock, 100);
    events.push("flush:end");
  });
  shutdown.register("disconnect", () => {
    events.push("disconnect");
  });
  assert.equal(shutdown.signal.aborted, false);
  signals.emit("SIGTERM");
  assert.equal(shutdown.signal.aborted, true);
  await clock.advance(150);
  assert.deepEqual(events, ["http:start", "http:end", "flush:start"]);
  assert.deepEqual(exits, []);
  await clock.advance(100);
  assert.deepEqual(events, ["http:start", "http:end", "flush:start", "flush:end", "disconnect"]);
  assert.deepEqual(exits, [0]);
  const result = await shutdown.done;
  assert.equal(result.outcome, "completed");
  assert.equal(result.reason, "signal SIGTERM");
  assert.equal(result.elapsedMs, 200);
});

Deno.test("shutdown exits 124 at the deadline and logs the step that hung", async () => {
  const { clock, signals, exits, shutdown, records } = setup(500);
  let laterRan = false;
  let deadlineSeen = false;
  shutdown.register("stop http", () => {});
  shutdown.register("flush producer", (deadline) =>
    new Promise<void>(() => {
      deadline.addEventListener("abort", () => (deadlineSeen = true));
    }));
  shutdown.register("disconnect", () => {
    laterRan = true;
  });
  signals.emit("SIGINT");
  await clock.advance(499);
  assert.deepEqual(exits, []);
  await clock.advance(1);
  assert.deepEqual(exits, [124]);
  assert.equal(deadlineSeen, true);
  assert.equal(laterRan, false);
  const failure = records().find((r) => r.msg === "shutdown deadline exceeded");
  assert.equal(failure?.level, "error");
  assert.equal(failure?.pendingStep, "flush producer");
  assert.equal((await shutdown.done).outcome, "deadline");
});

Deno.test("a second signal forces immediate exit while steps are still running", async () => {
  const { clock, signals, exits, shutdown, records } = setup(10_000);
  shutdown.register("slow", () => sleep(clock, 5_000));
  signals.emit("SIGTERM");
  await clock.advance(10);
  signals.emit("SIGTERM");
  assert.deepEqual(exits, [130]);
  assert.equal(records().some((r) => r.msg === "second signal received; exiting immediately"), true);
  await clock.advance(10_000);
  assert.deepEqual(exits, [130], "exit is called only once");
});

Deno.test("a failing step is logged, later steps still run, and the exit code is 1", async () => {
  const { clock, exits, shutdown, records } = setup();
  const ran: string[] = [];
  shutdown.register("a", () => {
    throw new Error("broken pipe");
  });
  shutdown.register("b", () => {
    ran.push("b");
  });
  const result = shutdown.trigger("test");
  await clock.advance(0);
  assert.deepEqual(ran, ["b"]);
  assert.deepEqual(exits, [1]);
  assert.deepEqual((await result).failedSteps, ["a"]);
  const failed = records().find((r) => r.msg === "shutdown step failed");
  assert.equal(failed?.err.message, "broken pipe");
});

Deno.test("trigger is idempotent and honours a requested minimum exit code", async () => {
  const { clock, exits, shutdown } = setup();
  let runs = 0;
  shutdown.register("count", () => {
    runs++;
  });
  const first = shutdown.trigger("fatal consumer error", 2);
  const second = shutdown.trigger("again");
  assert.equal(first, second);
  await clock.advance(0);
  assert.equal(runs, 1);
  assert.deepEqual(exits, [2]);
  assert.equal((await first).reason, "fatal consumer error");
});

Deno.test("steps registered after shutdown began do not run and unregistered steps are skipped", async () => {
  const { clock, exits, shutdown } = setup();
  const ran: string[] = [];
  const remove = shutdown.register("removed", () => {
    ran.push("removed");
  });
  shutdown.register("kept", () => {
    ran.push("kept");
  });
  remove();
  void shutdown.trigger("test");
  shutdown.register("late", () => {
    ran.push("late");
  });
  await clock.advance(0);
  assert.deepEqual(ran, ["kept"]);
  assert.deepEqual(exits, [0]);
});

Deno.test("shutdown removes its signal handlers and its deadline timer when finished", async () => {
  const { clock, signals, shutdown } = setup();
  assert.equal(signals.count, 2);
  signals.emit("SIGTERM");
  await clock.advance(0);
  assert.equal(signals.count, 0);
  assert.equal(clock.pending, 0);
  await shutdown.done;
});

Deno.test("dispose removes signal handlers without shutting down", () => {
  const { signals, exits, shutdown } = setup();
  shutdown.dispose();
  signals.emit("SIGTERM");
  assert.equal(signals.count, 0);
  assert.equal(shutdown.signal.aborted, false);
  assert.deepEqual(exits, []);
});

Deno.test({
  name: "a real SIGTERM runs the steps and exits the process with 0",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const script = `
      import { createShutdown } from ${JSON.stringify(new URL("./shutdown.ts", import.meta.url).href)};
      import { createLogger } from ${JSON.stringify(new URL("./log.ts", import.meta.url).href)};
      const shutdown = createShutdown({ deadlineMs: 5000, log: createLogger({ sink: () => {} }) });
      shutdown.register("say bye", () => console.log("bye"));
      const keepAlive = setInterval(() => {}, 1000);
      shutdown.signal.addEventListener("abort", () => clearInterval(keepAlive));
      console.log("ready");
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-check", "--no-config", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGTERM");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    assert.equal(status.code, 0);
    assert.match(out, /ready\nbye\n/);
  },
});
