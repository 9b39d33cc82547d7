/**
 * `deno task sim:autoscaler`: simulate every trace under our operator, the KEDA model and the oracle; print
 * the tables and goals (Markdown), write one SVG plot per trace.
 *
 *   --json[=FILE]    write the rows and goals as JSON to FILE (stdout when no FILE) instead of the tables
 *   --svg-dir=DIR    where the plots go (default docs/autoscaling)
 *   --no-svg         do not write plots
 *
 * @module
 */

import { formatTrace } from "./format.ts";
import { reportTrace } from "./report.ts";
import { plotTrace } from "./svg.ts";
import { allTraces } from "./trace.ts";

function option(args: readonly string[], name: string): string | true | undefined {
  for (const arg of args) {
    if (arg === `--${name}`) return true;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

async function main(args: readonly string[]): Promise<void> {
  const json = option(args, "json");
  const svgDir = option(args, "svg-dir");
  const reports = allTraces().map(reportTrace);
  if (option(args, "no-svg") === undefined) {
    const dir = typeof svgDir === "string" ? svgDir : "docs/autoscaling";
    await Deno.mkdir(dir, { recursive: true });
    for (const report of reports) {
      await Deno.writeTextFile(`${dir}/${report.trace.name}.svg`, plotTrace(report));
    }
  }
  if (json !== undefined) {
    const data = reports.map((r) => ({
      trace: r.trace.name,
      title: r.trace.title,
      rows: r.rows,
      goals: r.goals,
    }));
    const text = `${JSON.stringify(data, null, 2)}\n`;
    if (json === true) await Deno.stdout.write(new TextEncoder().encode(text));
    else await Deno.writeTextFile(json, text);
    return;
  }
  console.log(reports.map(formatTrace).join("\n\n"));
  const failed = reports.flatMap((r) =>
    r.goals.filter((g) => !g.pass).map((g) => `${r.trace.name}: ${g.goal}`)
  );
  console.log(`\n${failed.length === 0 ? "All goals PASS." : `Goals failing: ${failed.join("; ")}`}`);
}

if (import.meta.main) await main(Deno.args);
