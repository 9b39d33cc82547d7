/**
 * The report as Markdown tables, so the same text goes to the terminal and into docs/autoscaling.md.
 *
 * @module
 */

import type { RowMetrics } from "./metrics.ts";
import type { TraceReport } from "./report.ts";

function seconds(value: number | null): string {
  return value === null || Number.isNaN(value) ? "—" : `${Math.round(value)} s`;
}

function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return `${Math.round(value)}`;
}

const HEADER = [
  "policy",
  "first write",
  "to capacity",
  "drain",
  "max time lag",
  "backlog·s",
  "replica·s (× oracle)",
  "writes",
  "reversals",
  "max replicas / partitions",
];

function row(m: RowMetrics): string[] {
  return [
    m.policy,
    seconds(m.firstWriteSeconds),
    seconds(m.timeToCapacitySeconds),
    seconds(m.drainSeconds),
    seconds(m.maxTimeLagSeconds),
    compact(m.backlogSeconds),
    `${compact(m.replicaSeconds)} (${m.replicaSecondsVsOracle.toFixed(2)})`,
    `${m.writes}`,
    `${m.reversals}`,
    `${m.maxReplicas} / ${m.partitions}`,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(rows[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)]
    .join("\n");
}

/** One trace: its title, the table and the goals. */
export function formatTrace(report: TraceReport): string {
  const goals = report.goals.map((g) => `- ${g.pass ? "PASS" : "FAIL"} ${g.goal}: ${g.detail}`);
  return [`### ${report.trace.title}`, "", table([HEADER, ...report.rows.map(row)]), "", ...goals].join("\n");
}
