/**
 * A dependency-free SVG plot per trace: total lag (top) and replicas (bottom) over time for every policy,
 * with the oracle's replicas and the partition count for reference.
 *
 * @module
 */

import type { TraceReport } from "./report.ts";

const WIDTH = 900;
const PANEL = 170;
const LEFT = 70;
const RIGHT = 150;
const TOP = 40;
const GAP = 50;
const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"];

function polyline(values: readonly number[], max: number, top: number, color: string, dash = ""): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const points = values.map((v, t) => {
    const x = LEFT + (t / Math.max(1, values.length - 1)) * plotWidth;
    const y = top + PANEL - (Math.min(v, max) / max) * PANEL;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const dashed = dash ? ` stroke-dasharray="${dash}"` : "";
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dashed} points="${points.join(" ")}"/>`;
}

function axes(top: number, max: number, label: string, seconds: number): string {
  const bottom = top + PANEL;
  const parts = [
    `<line x1="${LEFT}" y1="${bottom}" x2="${WIDTH - RIGHT}" y2="${bottom}" stroke="#444"/>`,
    `<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${bottom}" stroke="#444"/>`,
    `<text x="${LEFT - 6}" y="${top + 4}" text-anchor="end">${Math.round(max)}</text>`,
    `<text x="${LEFT - 6}" y="${bottom}" text-anchor="end">0</text>`,
    `<text x="${LEFT}" y="${top - 8}">${label}</text>`,
  ];
  for (let t = 0; t <= seconds; t += seconds >= 1200 ? 300 : 100) {
    const x = LEFT + (t / seconds) * (WIDTH - LEFT - RIGHT);
    parts.push(`<text x="${x.toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${t}</text>`);
  }
  return parts.join("");
}

/** The plot of one trace as an SVG document. */
export function plotTrace(report: TraceReport): string {
  const { trace, runs, oracle } = report;
  const height = TOP + 2 * PANEL + GAP + 40;
  const lagMax = Math.max(1, ...runs.flatMap((r) => r.lag));
  const replicaMax = Math.max(trace.partitions + 2, ...runs.flatMap((r) => r.replicas));
  const replicaTop = TOP + PANEL + GAP;
  const legend = [
    ...runs.map((r, i) => ({ name: r.policy, color: COLORS[i % COLORS.length], dash: "" })),
    { name: "oracle", color: "#555", dash: "4 3" },
    { name: "partitions", color: "#aaa", dash: "2 4" },
  ];
  const body = [
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${trace.title}</text>`,
    axes(TOP, lagMax, "total lag (events)", trace.durationSeconds),
    axes(replicaTop, replicaMax, "replicas (Deployment)", trace.durationSeconds),
    ...runs.map((r, i) => polyline(r.lag, lagMax, TOP, COLORS[i % COLORS.length])),
    polyline(oracle.lag, lagMax, TOP, "#555", "4 3"),
    ...runs.map((r, i) => polyline(r.replicas, replicaMax, replicaTop, COLORS[i % COLORS.length])),
    polyline(oracle.replicas, replicaMax, replicaTop, "#555", "4 3"),
    polyline(oracle.replicas.map(() => trace.partitions), replicaMax, replicaTop, "#aaa", "2 4"),
    ...legend.map((l, i) => {
      const y = TOP + 10 + i * 18;
      const x = WIDTH - RIGHT + 12;
      const dash = l.dash ? ` stroke-dasharray="${l.dash}"` : "";
      return `<line x1="${x}" y1="${y}" x2="${
        x + 20
      }" y2="${y}" stroke="${l.color}" stroke-width="2"${dash}/>` +
        `<text x="${x + 26}" y="${y + 4}">${l.name}</text>`;
    }),
    `<text x="${(WIDTH - RIGHT + LEFT) / 2}" y="${height - 6}" text-anchor="middle">seconds</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="white"/>${body.join("")}</svg>\n`;
}
