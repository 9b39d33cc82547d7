/**
 * Shared pieces of the benchmarks (producer today, consumer later): a latency histogram that stays small
 * however many requests a run makes, /proc readings (memory, CPU time, load, machine), a progress bar on
 * stderr, the results table with PASS/FAIL goals, and the JSON report.
 */

/** The serialised form of a {@link Histogram}: non-zero buckets as [index, count]. */
export interface HistogramJson {
  /** Bucket i holds latencies up to growth^i µs. */
  readonly growth: number;
  readonly buckets: [number, number][];
  readonly maxMs: number;
}

/** Log-linear latency histogram: ~1 % resolution from 1 µs to ~20 min in 2,100 counters. */
export interface Histogram {
  record(ms: number): void;
  /** Adds another histogram's counts (e.g. one per load client process). */
  merge(other: HistogramJson): void;
  /** Latency in ms at quantile `q` (0..1), or NaN when empty. */
  quantile(q: number): number;
  readonly count: number;
  readonly maxMs: number;
  toJSON(): HistogramJson;
}

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 2100;

function bucketOf(ms: number): number {
  const us = ms * 1000;
  if (us <= 1) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / LOG_GROWTH));
}

/** Creates a {@link Histogram}, empty or from a serialised one. */
export function createHistogram(from?: HistogramJson): Histogram {
  const counts = new Float64Array(BUCKETS);
  let count = 0;
  let maxMs = 0;
  const h: Histogram = {
    record(ms) {
      counts[bucketOf(ms)]++;
      count++;
      if (ms > maxMs) maxMs = ms;
    },
    merge(other) {
      if (other.growth !== GROWTH) throw new Error(`histogram growth ${other.growth} is not ${GROWTH}`);
      for (const [i, n] of other.buckets) {
        counts[i] += n;
        count += n;
      }
      maxMs = Math.max(maxMs, other.maxMs);
    },
    quantile(q) {
      if (count === 0) return NaN;
      const rank = Math.max(1, Math.ceil(q * count));
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += counts[i];
        // The bucket's upper bound, but never above the largest latency actually seen.
        if (seen >= rank) return Math.min(GROWTH ** i / 1000, maxMs);
      }
      return maxMs;
    },
    get count() {
      return count;
    },
    get maxMs() {
      return maxMs;
    },
    toJSON() {
      const buckets: [number, number][] = [];
      counts.forEach((n, i) => {
        if (n > 0) buckets.push([i, n]);
      });
      return { growth: GROWTH, buckets, maxMs };
    },
  };
  if (from) h.merge(from);
  return h;
}

/** VmRSS and VmHWM (peak RSS) of a process in MiB, or undefined once it has exited. */
export function processMemory(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (field: string) =>
      Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

/** The command name of a process (`deno`, `java`, …), so a caller can check it measures the right one. */
export function processName(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return undefined;
  }
}

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture.
const CLOCK_TICKS = 100;

/** User+system CPU seconds a process has used so far (all its threads), or NaN once it has exited. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name may contain spaces and parentheses: fields are counted after its closing ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** What {@link watchProcesses} saw of one process over a measuring window. */
export interface ProcessUsage {
  readonly pid: number;
  readonly name?: string;
  /** CPU seconds used in the window, and as % of one core (200 % = both cores of a 2-core machine). */
  readonly cpuSeconds: number;
  readonly cpuPercent: number;
  /** Largest VmRSS sampled in the window and the kernel's peak (VmHWM) at its end, MiB. */
  readonly rssMaxMb: number;
  readonly hwmMb: number;
}

/**
 * Samples the CPU time and RSS of `pids` from now until `stop()`: CPU as the difference of two readings,
 * RSS as the maximum of samples every `intervalMs` (VmHWM covers what falls between samples).
 */
export function watchProcesses(pids: readonly number[], intervalMs = 200): { stop(): ProcessUsage[] } {
  const started = performance.now();
  const cpu0 = pids.map(processCpuSeconds);
  const rssMax = pids.map(() => 0);
  const sample = () =>
    pids.forEach((pid, i) => {
      const m = processMemory(pid);
      if (m && m.rssMb > rssMax[i]) rssMax[i] = m.rssMb;
    });
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - started) / 1000;
      return pids.map((pid, i) => {
        const cpuSeconds = processCpuSeconds(pid) - cpu0[i];
        return {
          pid,
          name: processName(pid),
          cpuSeconds,
          cpuPercent: cpuSeconds / seconds * 100,
          rssMaxMb: rssMax[i],
          hwmMb: processMemory(pid)?.hwmMb ?? NaN,
        };
      });
    },
  };
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = Deno.readTextFileSync("/proc/loadavg").split(" ").map(Number);
  return [a, b, c];
}

/** Load averages taken at the start, after each row and at the end of a benchmark run. */
export interface LoadRecord {
  /** Takes a sample (after a row). */
  sample(): void;
  /** Takes the last sample; what the report and the JSON show. */
  finish(): LoadSummary;
}

/** What {@link LoadRecord.finish} returns. */
export interface LoadSummary {
  readonly start: readonly number[];
  readonly end: readonly number[];
  readonly samples: readonly (readonly number[])[];
  /** Highest 1-minute load average seen. */
  readonly max: number;
}

/** Starts recording load averages (`read` is for tests). */
export function recordLoad(read: () => readonly number[] = loadAverage): LoadRecord {
  const samples: (readonly number[])[] = [read()];
  return {
    sample() {
      samples.push(read());
    },
    finish() {
      const end = read();
      return {
        start: samples[0],
        end,
        samples,
        max: Math.max(...samples.map((l) => l[0]), end[0]),
      };
    },
  };
}

/** The report's load line, and a note when the machine was busier than the bench alone makes it. */
export function describeLoad(
  load: LoadSummary,
  cpus: number,
  advice: string,
): { line: string; note?: string } {
  const line =
    `load average: ${load.start.join(" ")} at start, ${load.end.join(" ")} at end (max 1-min during ` +
    `run ${load.max.toFixed(2)})`;
  if (load.max <= cpus * 1.5) return { line };
  return {
    line,
    note: `the 1-minute load average reached ${load.max.toFixed(2)} on ${cpus} CPUs: other work may have ` +
      `disturbed this run; ${advice}`,
  };
}

/** The report's machine line. */
export function describeMachine(m: MachineInfo): string {
  return `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB RAM, Linux ${m.kernel}`;
}

/** What a benchmark started and must stop, also when it is interrupted. */
export interface Cleanups {
  /** Registers a stop step; steps run last-in, first-out. */
  push(fn: () => Promise<void>): void;
  /** Runs every step once (a failing step is reported and the rest still run), then forgets the signals. */
  run(): Promise<void>;
}

/**
 * A stack of stop steps that also runs on SIGINT/SIGTERM (then exits 130), so an interrupted benchmark leaves
 * no broker, server or temporary directory behind. `what` names them in the interrupt message.
 */
export function createCleanups(progress: Progress, what: string): Cleanups {
  const steps: (() => Promise<void>)[] = [];
  let ran = false;
  async function run(): Promise<void> {
    if (ran) return;
    ran = true;
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    for (const fn of steps.reverse()) await fn().catch((err) => console.error(`cleanup: ${err}`));
  }
  function onSignal(): void {
    progress.done();
    console.error(`# interrupted: stopping ${what}`);
    run().finally(() => Deno.exit(130));
  }
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return { push: (fn) => void steps.push(fn), run };
}

/** What the numbers were measured on. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly kernel: string;
  readonly deno: string;
  readonly v8: string;
}

/** Reads the machine description from /proc. */
export function machineInfo(): MachineInfo {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const meminfo = Deno.readTextFileSync("/proc/meminfo");
  const memKb = Number(meminfo.match(/^MemTotal:\s+(\d+) kB/m)?.[1] ?? NaN);
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown",
    memoryGb: Math.round(memKb / 1024 / 1024 * 10) / 10,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** A progress bar on stderr; stdout stays clean for the table. */
export interface Progress {
  /** Starts a named step that is expected to take about `expectedMs`. */
  step(label: string, expectedMs: number): void;
  /** Prints a line above the bar (a finished row, a warning). */
  note(line: string): void;
  done(): void;
}

/**
 * Creates a progress bar over a run of about `totalMs`. On a terminal it redraws one line a few times per
 * second; elsewhere (CI logs, pipes) it prints one line per step, so logs stay readable.
 */
export function createProgress(totalMs: number): Progress {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const started = Date.now();
  let doneMs = 0;
  let current = { label: "", expectedMs: 0, started: Date.now() };
  let timer: ReturnType<typeof setInterval> | undefined;

  function write(text: string): void {
    Deno.stderr.writeSync(enc.encode(text));
  }

  function draw(): void {
    const inStep = Math.min(Date.now() - current.started, current.expectedMs);
    const fraction = Math.min(1, (doneMs + inStep) / Math.max(1, totalMs));
    const width = 30;
    const filled = Math.round(fraction * width);
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${
      (fraction * 100).toFixed(0).padStart(3)
    }%`;
    write(`\r\x1b[2K${bar} ${elapsed}s ${current.label}`);
  }

  return {
    step(label, expectedMs) {
      doneMs += Math.min(Date.now() - current.started, current.expectedMs);
      current = { label, expectedMs, started: Date.now() };
      if (tty) {
        timer ??= setInterval(draw, 250);
        draw();
      } else {
        write(`# ${((Date.now() - started) / 1000).toFixed(0)}s ${label}\n`);
      }
    },
    note(line) {
      write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
      if (tty) draw();
    },
    done() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (tty) write("\r\x1b[2K");
    },
  };
}

/** One column of {@link formatTable}. */
export interface Column<R> {
  readonly title: string;
  readonly value: (row: R) => string;
  readonly align?: "left" | "right";
}

/** A Markdown table (readable as plain text too), so the same output goes into docs/benchmarks.md. */
export function formatTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const pad = (text: string, i: number) =>
    columns[i].align === "left" ? text.padEnd(widths[i]) : text.padStart(widths[i]);
  const line = (parts: string[]) => `| ${parts.join(" | ")} |`;
  return [
    line(columns.map((c, i) => pad(c.title, i))),
    line(columns.map((c, i) => c.align === "left" ? "-".repeat(widths[i]) : `${"-".repeat(widths[i] - 1)}:`)),
    ...cells.map((row) => line(row.map(pad))),
  ].join("\n");
}

/** A goal checked against the measurements; reported, never asserted. */
export interface GoalResult {
  readonly goal: string;
  readonly actual: string;
  /** undefined when a row the goal needs was not measured. */
  readonly pass: boolean | undefined;
}

/** Renders goals as a table with PASS / FAIL / n/a. */
export function formatGoals(goals: readonly GoalResult[]): string {
  return formatTable<GoalResult>([
    { title: "goal", value: (g) => g.goal, align: "left" },
    { title: "measured", value: (g) => g.actual, align: "left" },
    { title: "result", value: (g) => g.pass === undefined ? "n/a" : g.pass ? "PASS" : "FAIL", align: "left" },
  ], goals);
}

/** p50/p90/p99/max in ms, as every load driver reports them. */
export function latencySummary(h: Histogram): { p50: number; p90: number; p99: number; max: number } {
  return { p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), max: h.maxMs };
}

/** The printed report: header lines, the table, the goals, then notes as a list. */
export function formatReport(
  header: readonly string[],
  table: string,
  goals: readonly GoalResult[],
  notes: readonly string[],
): string {
  const parts = [header.join("\n"), table, formatGoals(goals)];
  if (notes.length > 0) parts.push(notes.map((n) => `- ${n}`).join("\n"));
  return parts.join("\n\n");
}

/** A number with thousands separators and `digits` decimals; "–" for missing values. */
export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Takes `--json [path]` out of `args` (in place) and returns the path (`defaultPath` when none follows), or
 * undefined without the flag. node:util's parseArgs cannot express a flag whose value is optional.
 */
export function takeJsonFlag(args: string[], defaultPath: string): string | undefined {
  const at = args.indexOf("--json");
  if (at < 0) return undefined;
  const next = args[at + 1];
  const hasPath = next !== undefined && !next.startsWith("--");
  args.splice(at, hasPath ? 2 : 1);
  return hasPath ? next : defaultPath;
}

/** Writes the report as pretty JSON; `path` "-" means stdout. */
export async function writeJson(path: string, data: unknown): Promise<void> {
  const text = JSON.stringify(data, null, 2) + "\n";
  if (path === "-") await Deno.stdout.write(new TextEncoder().encode(text));
  else await Deno.writeTextFile(path, text);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
