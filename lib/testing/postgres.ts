/**
 * Real PostgreSQL server for tests, from Debian's server binaries (apt-get install postgresql
 * when missing and running as root). Each call gets its own cluster in a temp dir on a free
 * 127.0.0.1 port, with password (SCRAM) auth over TCP.
 */
import { freePort } from "./process.ts";
import { exists } from "./cache.ts";
import {
  aptInstall,
  makeServiceDir,
  run,
  type RunAs,
  runUnchecked,
  type ServiceProcess,
  spawnService,
  unprivilegedUser,
  waitUntilReady,
  withInstallLock,
} from "./service_util.ts";

export interface PostgresOptions {
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Bound on waiting for the server to accept connections. */
  readonly readyTimeoutMs?: number;
}

export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/database */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Stops the server but keeps its data, e.g. to test reconnects. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  close(): Promise<void>;
}

const PG_ROOT = "/usr/lib/postgresql";

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const user = options.user ?? "kafka_edge";
  const password = options.password ?? "kafka_edge_pw";
  const database = options.database ?? "kafka_edge_test";
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const bin = await ensurePostgresBinaries();
  const runAs = unprivilegedUser();
  const dir = await makeServiceDir("kafka-edge-pg-", runAs);
  const host = "127.0.0.1";
  const port = freePort();
  let server: ServiceProcess | null = null;

  try {
    await initCluster(bin, dir, user, password, runAs);
    server = await launch(bin, dir, port, runAs, readyTimeoutMs);
    await run(`${bin}/createdb`, ["-h", host, "-p", String(port), "-U", user, database], {
      env: { PGPASSWORD: password, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    });
  } catch (err) {
    await server?.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }

  async function stop(): Promise<void> {
    // SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting for them.
    await server?.stop("SIGINT");
    server = null;
  }

  async function start(): Promise<void> {
    if (server) return;
    server = await launch(bin, dir, port, runAs, readyTimeoutMs);
  }

  async function close(): Promise<void> {
    await stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }

  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${
    encodeURIComponent(database)
  }`;
  return { url, host, port, user, password, database, stop, start, close };
}

/** Returns the bin dir of the newest installed PostgreSQL, installing Debian's when there is none. */
async function ensurePostgresBinaries(): Promise<string> {
  const found = await newestServerBin();
  if (found) return found;
  return await withInstallLock("apt", async () => {
    const raced = await newestServerBin();
    if (raced) return raced;
    await aptInstall(["postgresql"], "PostgreSQL server binaries are needed");
    const installed = await newestServerBin();
    if (!installed) throw new Error(`installed postgresql but found no ${PG_ROOT}/<version>/bin/postgres`);
    return installed;
  });
}

async function newestServerBin(): Promise<string | null> {
  if (!(await exists(PG_ROOT))) return null;
  const versions: number[] = [];
  for await (const entry of Deno.readDir(PG_ROOT)) {
    const version = Number(entry.name);
    if (!Number.isNaN(version) && await exists(`${PG_ROOT}/${entry.name}/bin/postgres`)) {
      versions.push(version);
    }
  }
  if (versions.length === 0) return null;
  return `${PG_ROOT}/${Math.max(...versions)}/bin`;
}

function asUser(runAs: RunAs | null, command: string, args: readonly string[]): [string, string[]] {
  if (!runAs) return [command, [...args]];
  return ["setpriv", ["--reuid", runAs.user, "--regid", runAs.group, "--clear-groups", command, ...args]];
}

async function initCluster(
  bin: string,
  dir: string,
  user: string,
  password: string,
  runAs: RunAs | null,
): Promise<void> {
  // initdb reads the superuser password from a file so it never appears in `ps`.
  await Deno.writeTextFile(`${dir}/pwfile`, `${password}\n`, { mode: 0o600 });
  if (runAs) await run("chown", [`${runAs.user}:${runAs.group}`, `${dir}/pwfile`]);
  const [command, args] = asUser(runAs, `${bin}/initdb`, [
    "-D",
    `${dir}/data`,
    "-U",
    user,
    `--pwfile=${dir}/pwfile`,
    "--auth-host=scram-sha-256",
    "--auth-local=trust",
    "--encoding=UTF8",
    "--locale=C",
    // Throwaway cluster: skipping fsync makes initdb several times faster.
    "--no-sync",
  ]);
  await run(command, args, { timeoutMs: 120_000 });
  await Deno.remove(`${dir}/pwfile`);
}

async function launch(
  bin: string,
  dir: string,
  port: number,
  runAs: RunAs | null,
  readyTimeoutMs: number,
): Promise<ServiceProcess> {
  const server = spawnService({
    name: "postgres",
    command: `${bin}/postgres`,
    args: [
      "-D",
      `${dir}/data`,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      // Own socket dir: the default /var/run/postgresql may not exist or be writable.
      "-c",
      `unix_socket_directories=${dir}`,
      // Durability is irrelevant for a test cluster; these make writes much cheaper.
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    runAs,
  });
  await waitUntilReady(server, () => isReady(bin, port), readyTimeoutMs);
  return server;
}

async function isReady(bin: string, port: number): Promise<boolean> {
  const result = await runUnchecked(`${bin}/pg_isready`, ["-q", "-h", "127.0.0.1", "-p", String(port)], {
    timeoutMs: 10_000,
  });
  return result.code === 0;
}
