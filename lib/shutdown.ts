/**
 * Graceful shutdown: on SIGTERM/SIGINT run registered steps in order under one deadline.
 *
 * Kubernetes sends SIGTERM and then SIGKILL after terminationGracePeriodSeconds; steps run in
 * registration order (stop accepting HTTP → flush producer → disconnect) so nothing accepted is
 * lost, and the deadline must be shorter than the grace period so we can still log which step hung
 * before the kernel kills us.
 *
 * Exit codes: 0 all steps done, 1 a step threw (later steps still ran), 124 deadline passed (as
 * GNU timeout), 130 a second signal forced exit.
 *
 * @module
 */
import type { Logger } from "./log.ts";

/** Time source and timers; injectable so tests can drive deadlines without waiting. */
export interface Clock {
  now(): number;
  /** Returns an opaque handle; Deno returns a Timeout object rather than a number. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Where OS signals come from; injectable because tests must not install real signal handlers. */
export interface SignalSource {
  add(signal: Deno.Signal, handler: () => void): void;
  remove(signal: Deno.Signal, handler: () => void): void;
}

/** OS signals via Deno. */
export const denoSignals: SignalSource = {
  add: (signal, handler) => Deno.addSignalListener(signal, handler),
  remove: (signal, handler) => Deno.removeSignalListener(signal, handler),
};

/** A shutdown step; `deadline` aborts when time is up so the step can cut its work short. */
export type ShutdownStep = (deadline: AbortSignal) => void | Promise<void>;

/** How a shutdown ended. */
export type ShutdownOutcome = "completed" | "failed" | "deadline" | "forced";

/** Exit code per outcome. */
export const SHUTDOWN_EXIT_CODES: Readonly<Record<ShutdownOutcome, number>> = {
  completed: 0,
  failed: 1,
  deadline: 124,
  forced: 130,
};

/** Summary handed to `done` and logged. */
export interface ShutdownResult {
  readonly outcome: ShutdownOutcome;
  readonly exitCode: number;
  readonly reason: string;
  readonly failedSteps: readonly string[];
  /** The step still running when the deadline passed or exit was forced. */
  readonly pendingStep?: string;
  readonly elapsedMs: number;
}

/** Options for {@link createShutdown}. */
export interface ShutdownOptions {
  readonly signals?: readonly Deno.Signal[];
  readonly deadlineMs: number;
  readonly log: Logger;
  readonly exit?: (code: number) => void;
  readonly clock?: Clock;
  readonly signalSource?: SignalSource;
}

/** The shutdown coordinator of one process. */
export interface Shutdown {
  /** Aborted as soon as shutdown begins, so loops can stop taking new work. */
  readonly signal: AbortSignal;
  /** Settles once shutdown has finished, just before exit is called. */
  readonly done: Promise<ShutdownResult>;
  /** Adds a step; returns a function that removes it again. Refused once shutdown has begun. */
  register(name: string, step: ShutdownStep): () => void;
  /**
   * Begins shutdown without a signal (e.g. after a fatal consumer error); `exitCode` is the
   * minimum code to exit with even if every step succeeds. Later calls return the same result.
   */
  trigger(reason: string, exitCode?: number): Promise<ShutdownResult>;
  /** Removes signal handlers; for tests and for processes that hand over to another coordinator. */
  dispose(): void;
}

interface Registered {
  readonly name: string;
  readonly step: ShutdownStep;
}

/** Creates a coordinator and installs its signal handlers. */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const { deadlineMs, log } = options;
  const clock = options.clock ?? systemClock;
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const source = options.signalSource ?? denoSignals;
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];

  const steps: Registered[] = [];
  const draining = new AbortController();
  const deadline = new AbortController();
  let started: Promise<ShutdownResult> | undefined;
  let finished = false;
  let startedAt = 0;
  let reason = "";
  let pendingStep: string | undefined;
  let timer: unknown;
  const failedSteps: string[] = [];
  let resolveDone: (result: ShutdownResult) => void = () => {};
  const done = new Promise<ShutdownResult>((resolve) => (resolveDone = resolve));

  const handlers = signals.map((sig) => {
    const handler = () => onSignal(sig);
    try {
      source.add(sig, handler);
    } catch (err) {
      // Windows supports only SIGINT/SIGBREAK; a missing signal must not prevent start-up.
      log.warn("cannot listen for signal", { signal: sig, err });
    }
    return { sig, handler };
  });

  function dispose(): void {
    for (const { sig, handler } of handlers) {
      try {
        source.remove(sig, handler);
      } catch {
        // Never added (see above); nothing to remove.
      }
    }
  }

  function finish(outcome: ShutdownOutcome, minimumCode: number): void {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    deadline.abort(new Error(`shutdown ${outcome}`));
    dispose();
    const exitCode = Math.max(SHUTDOWN_EXIT_CODES[outcome], minimumCode);
    const result: ShutdownResult = {
      outcome,
      exitCode,
      reason,
      failedSteps: [...failedSteps],
      pendingStep: outcome === "deadline" || outcome === "forced" ? pendingStep : undefined,
      elapsedMs: clock.now() - startedAt,
    };
    const fields = { ...result };
    if (outcome === "completed") log.info("shutdown complete", fields);
    else if (outcome === "deadline") log.error("shutdown deadline exceeded", { ...fields, deadlineMs });
    else log.error("shutdown did not complete cleanly", fields);
    resolveDone(result);
    exit(exitCode);
  }

  async function run(minimumCode: number): Promise<void> {
    for (const { name, step } of [...steps]) {
      if (finished) return;
      pendingStep = name;
      const stepStart = clock.now();
      try {
        await step(deadline.signal);
        if (!finished) log.info("shutdown step done", { step: name, elapsedMs: clock.now() - stepStart });
      } catch (err) {
        if (finished) return;
        failedSteps.push(name);
        log.error("shutdown step failed", { step: name, err });
      }
    }
    pendingStep = undefined;
    finish(failedSteps.length > 0 ? "failed" : "completed", minimumCode);
  }

  function trigger(why: string, exitCode = 0): Promise<ShutdownResult> {
    if (started) return started;
    reason = why;
    startedAt = clock.now();
    started = done;
    log.info("shutdown started", { reason, deadlineMs, steps: steps.map((s) => s.name) });
    draining.abort(new Error(`shutdown: ${why}`));
    timer = clock.setTimeout(() => finish("deadline", exitCode), deadlineMs);
    void run(exitCode);
    return started;
  }

  function onSignal(sig: Deno.Signal): void {
    if (!started) {
      void trigger(`signal ${sig}`);
      return;
    }
    if (finished) return;
    log.warn("second signal received; exiting immediately", { signal: sig, step: pendingStep });
    finish("forced", 0);
  }

  return {
    signal: draining.signal,
    done,
    register(name, step) {
      if (started) {
        log.warn("shutdown step registered after shutdown began; it will not run", { step: name });
        return () => {};
      }
      const entry = { name, step };
      steps.push(entry);
      return () => {
        const index = steps.indexOf(entry);
        if (index >= 0) steps.splice(index, 1);
      };
    },
    trigger,
    dispose,
  };
}
