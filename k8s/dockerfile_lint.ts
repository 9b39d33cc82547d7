/**
 * Checks our Dockerfiles for the rules the manifests rely on, since no image can be built here: a base image
 * pinned by version, dependencies cached at build time and run with --cached-only (the root filesystem is
 * read-only), and a numeric non-root user (runAsNonRoot can only be verified for numeric users).
 *
 * @module
 */

/** One parsed instruction. */
interface Instruction {
  readonly line: number;
  readonly op: string;
  readonly args: string;
}

function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    while (line.trimEnd().endsWith("\\") && i + 1 < lines.length) {
      line = line.trimEnd().slice(0, -1) + lines[++i];
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m && !line.trimStart().startsWith("#")) {
      out.push({ line: start + 1, op: m[1].toUpperCase(), args: m[2].trim() });
    }
  }
  return out;
}

/** Every rule the Dockerfile breaks, as `line N: message` (empty when it is fine). */
export function lintDockerfile(text: string, entry: string): string[] {
  const problems: string[] = [];
  const ins = instructions(text);
  const from = ins.filter((i) => i.op === "FROM");
  if (from.length === 0) problems.push("no FROM");
  for (const f of from) {
    const image = f.args.split(/\s+/)[0];
    const m = /^denoland\/deno:(\d+\.\d+\.\d+)(@sha256:[0-9a-f]{64})?$/.exec(image);
    if (!m) {
      problems.push(`line ${f.line}: base must be denoland/deno:<x.y.z> (pinned version), got ${image}`);
    }
  }
  const cache = ins.findIndex((i) =>
    i.op === "RUN" && /\bdeno (cache|install)\b/.test(i.args) && i.args.includes(entry)
  );
  if (cache < 0) problems.push(`no "RUN deno cache ${entry}": dependencies must be cached at build time`);
  const users = ins.filter((i) => i.op === "USER");
  const lastUser = users.at(-1);
  if (!lastUser) problems.push("no USER: the container would run as root");
  else {
    const [uid, gid] = lastUser.args.split(":");
    if (!/^\d+$/.test(uid) || uid === "0" || (gid !== undefined && (!/^\d+$/.test(gid) || gid === "0"))) {
      problems.push(`line ${lastUser.line}: USER must be a numeric non-root uid[:gid], got ${lastUser.args}`);
    }
    if (cache >= 0 && ins.indexOf(lastUser) < cache) {
      problems.push(
        `line ${lastUser.line}: USER must come after the cache step (the cache is written as root)`,
      );
    }
  }
  const run = [...ins].reverse().find((i) => i.op === "ENTRYPOINT" || i.op === "CMD");
  const start = ins.filter((i) => i.op === "ENTRYPOINT" || i.op === "CMD").map((i) => i.args).join(" ");
  if (!run) problems.push("no ENTRYPOINT/CMD");
  else {
    if (!start.trimStart().startsWith("[")) {
      problems.push("ENTRYPOINT/CMD must use the exec (JSON) form for signals");
    }
    if (!start.includes("--cached-only")) {
      problems.push("deno must run with --cached-only (read-only root filesystem)");
    }
    if (!start.includes(entry)) problems.push(`ENTRYPOINT/CMD must run ${entry}`);
    if (/"(-A|--allow-all)"/.test(start)) problems.push("deno must not run with --allow-all");
  }
  for (const i of ins) {
    if (i.op === "ADD" && /https?:\/\//.test(i.args)) {
      problems.push(`line ${i.line}: ADD from a URL is not pinned`);
    }
    if (/:latest\b/.test(i.args)) problems.push(`line ${i.line}: "latest" is not a version`);
  }
  return problems;
}
