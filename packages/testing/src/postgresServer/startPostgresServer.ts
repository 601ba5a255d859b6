import { execFile, spawnSync } from "node:child_process";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { getFreePort } from "../redisServer/startRedisServer.js";

const run = promisify(execFile);

/** Options of {@link startPostgresServer}. */
export interface StartPostgresServerOptions {
  /**
   * The directory holding `initdb` and `pg_ctl`. Default: `STREAMSTORE_PG_BIN`, else the newest
   * `/usr/lib/postgresql/<version>/bin` (Debian's layout), else the binaries on `PATH`.
   */
  binDir?: string;
  /** A fixed port; default: a free loopback port picked by the OS. */
  port?: number;
  /**
   * Extra server settings (`-c name=value`), e.g. `{ fsync: "off" }`. The server always listens
   * on 127.0.0.1 only, with its socket in its own directory.
   */
  settings?: Record<string, string>;
  /**
   * When this process runs as root, the OS user the server runs as (PostgreSQL refuses root).
   * Default `postgres`. Ignored for any other user: the server then runs as this process's user.
   */
  osUser?: string;
  /** How long `pg_ctl` waits for the server to accept connections, in ms. Default 60,000. */
  startTimeoutMs?: number;
}

/** How `pg_ctl` stops a server: `fast` rolls back open transactions and checkpoints, `immediate` is a crash (recovery on the next start). */
export type PostgresStopMode = "smart" | "fast" | "immediate";

/** A private PostgreSQL server started by {@link startPostgresServer}. */
export interface PostgresServerHandle {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, superuser `postgres`). */
  url: string;
  port: number;
  /** The server's own temporary directory: `data/` (the cluster), its socket and `server.log`. */
  dir: string;
  /** Whether the server is up (false between `halt()` and `resume()`, and after `stop()`). */
  readonly running: boolean;
  /** Restarts the server (`pg_ctl restart -m <mode> -w`, default `fast`): resolves once it accepts connections again. */
  restart(options?: { mode?: PostgresStopMode }): Promise<void>;
  /** Stops the server (`pg_ctl stop -m <mode> -w`, default `fast`) and keeps its data, until `resume()`. */
  halt(options?: { mode?: PostgresStopMode }): Promise<void>;
  /** Starts a halted server again on the same port, with the same data. */
  resume(): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): Promise<string>;
  /** Stops the server (`immediate`: nothing of it is kept) and removes its directory. */
  stop(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<version>/bin` holding initdb, or undefined. */
function debianBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  const listing = spawnSync("ls", [root], { encoding: "utf8" });
  if (listing.status !== 0) return undefined;
  const versions = listing.stdout
    .split("\n")
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, "bin");
    if (spawnSync(join(dir, "initdb"), ["--version"], { stdio: "ignore" }).status === 0) return dir;
  }
  return undefined;
}

function resolveBinDir(binDir: string | undefined): string | undefined {
  return binDir ?? process.env.STREAMSTORE_PG_BIN ?? debianBinDir();
}

const binary = (binDir: string | undefined, name: string) =>
  binDir === undefined ? name : join(binDir, name);

/**
 * Whether `initdb` and `pg_ctl` can be run here (and, as root, whether the OS user the server
 * would run as exists).
 *
 * @example
 * if (!hasPostgresServerBinaries()) console.log("apt-get install postgresql to run these tests");
 */
export function hasPostgresServerBinaries(
  options: { binDir?: string; osUser?: string } = {},
): boolean {
  const binDir = resolveBinDir(options.binDir);
  for (const name of ["initdb", "pg_ctl"]) {
    if (spawnSync(binary(binDir, name), ["--version"], { stdio: "ignore" }).status !== 0)
      return false;
  }
  if (process.getuid?.() === 0) {
    return spawnSync("id", ["-u", options.osUser ?? "postgres"], { stdio: "ignore" }).status === 0;
  }
  return true;
}

/** The uid and gid of an OS user, via `id`. */
function idsOf(user: string): { uid: number; gid: number } {
  const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      `[streamstore] startPostgresServer runs as root, and PostgreSQL refuses to: it needs the OS user "${user}" (apt-get install postgresql creates it), or pass osUser.`,
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts a private PostgreSQL server (`initdb` of a new cluster in a temporary directory, then
 * `pg_ctl start -w`) on a loopback port, for tests that restart or stop a server: never the
 * machine's shared one, which other tests use. Trust authentication, superuser `postgres`,
 * UTF8, locale C. As root, the server runs as the OS user `postgres` (through `runuser`).
 * `stop()` throws the whole cluster away.
 *
 * @example
 * const server = await startPostgresServer();
 * const sql = postgres(server.url);
 * await server.restart(); // pg_ctl -m fast restart -w
 * await sql.end();
 * await server.stop();
 */
export async function startPostgresServer(
  options: StartPostgresServerOptions = {},
): Promise<PostgresServerHandle> {
  const binDir = resolveBinDir(options.binDir);
  const asRoot = process.getuid?.() === 0;
  const osUser = options.osUser ?? "postgres";
  const owner = asRoot ? idsOf(osUser) : undefined;
  const startTimeoutSeconds = Math.max(1, Math.ceil((options.startTimeoutMs ?? 60_000) / 1000));
  const dir = await mkdtemp(join(tmpdir(), "streamstore-postgres-"));
  const dataDir = join(dir, "data");
  const logFile = join(dir, "server.log");
  // As root, every command runs as the server's OS user, who must own the directory.
  const command = (name: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", osUser, "--", binary(binDir, name), ...args])
      : run(binary(binDir, name), args);
  const failure = async (what: string, error: unknown) => {
    const log = await readFile(logFile, "utf8").catch(() => "");
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return new Error(
      `[streamstore] PostgreSQL ${what} failed: ${(error as Error).message}\n${stdout}${stderr}${log ? `\nserver.log:\n${log.slice(-4000)}` : ""}`,
      { cause: error },
    );
  };

  try {
    if (owner) await chown(dir, owner.uid, owner.gid);
    await command("initdb", [
      "-D",
      dataDir,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]).catch(async (error: unknown) => {
      throw await failure("initdb", error);
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let port = options.port ?? 0;
  const serverOptions = () =>
    [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses=127.0.0.1",
      ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
    ].join(" ");
  const pgCtl = (args: string[]) =>
    command("pg_ctl", ["-D", dataDir, "-l", logFile, "-t", String(startTimeoutSeconds), ...args]);

  let running = false;
  for (let attempt = 0; ; attempt++) {
    port = options.port ?? (await getFreePort());
    try {
      // -l: the server's output goes to its log, so pg_ctl returns once it is ready.
      await pgCtl(["-o", serverOptions(), "-w", "start"]);
      running = true;
      break;
    } catch (error) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      // A port picked by the OS can be taken between our probe and the server's bind: try again.
      if (options.port === undefined && attempt < 3 && /could not bind|in use/i.test(log)) continue;
      const wrapped = await failure("start", error);
      await rm(dir, { recursive: true, force: true });
      throw wrapped;
    }
  }

  const handle: PostgresServerHandle = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    get running() {
      return running;
    },
    async restart({ mode = "fast" } = {}) {
      await pgCtl(["-o", serverOptions(), "-m", mode, "-w", "restart"]).catch(
        async (error: unknown) => {
          throw await failure("restart", error);
        },
      );
      running = true;
    },
    async halt({ mode = "fast" } = {}) {
      if (!running) return;
      await pgCtl(["-m", mode, "-w", "stop"]).catch(async (error: unknown) => {
        throw await failure("stop", error);
      });
      running = false;
    },
    async resume() {
      if (running) return;
      await pgCtl(["-o", serverOptions(), "-w", "start"]).catch(async (error: unknown) => {
        throw await failure("start", error);
      });
      running = true;
    },
    log: () => readFile(logFile, "utf8").catch(() => ""),
    async stop() {
      if (running) {
        await pgCtl(["-m", "immediate", "-w", "stop"]).catch(() => {});
        running = false;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
