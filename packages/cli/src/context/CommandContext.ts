import { createPostgresArchive } from "@streamstore/archive";
import { maskConnectionString } from "@streamstore/archive/internal";
import type { EventArchive, Logger } from "@streamstore/core";
import { assertKeyPrefix } from "@streamstore/core/internal";
import type { Projection } from "@streamstore/projections";
import type { Cluster, Redis } from "ioredis";
import type { StreamstoreConfig } from "../config/defineConfig.js";
import { findConfigFile, loadConfig } from "../config/loadConfig.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { createCliLogger, type LogLevel } from "../output/cliLogger.js";
import { createOutput, type Output } from "../output/Output.js";
import type { RedisClient } from "./RedisClient.js";
import { connectCliRedis, displayOf, type RedisSource, redisSecretsOf } from "./redisConnection.js";

/**
 * The options every command accepts (see `streamstore --help`).
 *
 * @example
 * const options: GlobalOptions = { json: true, color: false, logLevel: "warn", logFormat: "pretty" };
 */
export interface GlobalOptions {
  redisUrl?: string;
  /** `postgres://…` of the archive (the cold tier); else `STREAMSTORE_ARCHIVE_URL`, else the config's `archive`. */
  archiveUrl?: string;
  prefix?: string;
  config?: string;
  json: boolean;
  color: boolean;
  logLevel: LogLevel;
  logFormat: "json" | "pretty";
}

/**
 * The process's streams and environment as a command sees them (tests pass their own).
 *
 * @example
 * const io: CommandIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
 */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ctrl-C as the command sees it (bin.ts wires it to SIGINT); absent: never interrupted. */
  interrupt?: Interrupt;
}

/**
 * Ctrl-C for commands that stop cleanly on it (`tail`, `--watch`, `projections rebuild`): they call
 * `handle()` and get a signal aborted on the first SIGINT. A command that did not call it is ended
 * at once with exit code 130, as without any handler.
 *
 * @example
 * const signal = io.interrupt?.handle() ?? new AbortController().signal;
 */
export interface Interrupt {
  /** Declares that the running command stops by itself on Ctrl-C; returns the signal to watch. */
  handle(): AbortSignal;
}

/**
 * What a command works with: output, logger, the config module, and a Redis connection opened on
 * first use (so `--help` and usage errors never connect).
 *
 * @example
 * const redis = await context.redis();
 */
export interface CommandContext {
  readonly output: Output;
  readonly logger: Logger;
  /** The key prefix: `--prefix`, else the config's, else `"ss"`. */
  prefix(): Promise<string>;
  /** The config module (an empty config when there is none). */
  config(): Promise<StreamstoreConfig>;
  /** The URL connected to, password removed (for messages). */
  redisUrlForDisplay(): Promise<string>;
  /**
   * A connected client: a `Redis`, or an ioredis `Cluster` seeded with the URL's node when that
   * node has `cluster_enabled:1` (so that commands see every primary's keys, not one node's).
   * Throws a {@link CliError} with exit code 5 when Redis cannot be reached, 6 when it refuses
   * the credentials, 2 for a URL that is not a Redis URL.
   */
  redis(): Promise<RedisClient>;
  /**
   * A connection to the URL's node itself, even when it belongs to a Cluster (`doctor` reads
   * `INFO` and `CLUSTER NODES` there and then visits each primary). Exit codes as for `redis()`.
   * The first call writes the header `Redis: <url, password masked>` to stderr.
   */
  node(): Promise<Redis>;
  /**
   * The archive (the cold tier): a PostgreSQL archive made from `--archive-url`, else from
   * `STREAMSTORE_ARCHIVE_URL`, else the config's `archive`; undefined when none was given. Made
   * on first use and closed with the context. A URL that is not `postgres://` is exit code 2.
   */
  archive(): Promise<EventArchive | undefined>;
  /**
   * Where the archive is, for messages: the URL with its password masked, or "the config's
   * archive"; undefined when none was given.
   */
  archiveForDisplay(): Promise<string | undefined>;
  /**
   * `text` with every password the command was given (Redis and archive URLs) replaced by `***`:
   * for any message that may quote a driver's error.
   */
  redact(text: string): string;
  /** A projection of the config by name; exit code 4 (with the known names) when there is none. */
  // biome-ignore lint/suspicious/noExplicitAny: projections of any event catalog and state.
  projection(name: string): Promise<Projection<any, any>>;
  /**
   * The Ctrl-C signal, for a command that stops cleanly on it (a second Ctrl-C still ends the
   * process at once). Commands that never call this are ended by Ctrl-C with exit code 130.
   */
  interrupt(): AbortSignal;
  /** Whether stderr is a terminal (progress bars, screen redraws) rather than a pipe or file. */
  readonly stderrIsTTY: boolean;
  /** Whether stdout is a terminal. */
  readonly stdoutIsTTY: boolean;
  /** Disconnects. */
  close(): Promise<void>;
}

function isKeyPrefix(prefix: unknown): boolean {
  try {
    assertKeyPrefix(prefix);
    return true;
  } catch {
    return false;
  }
}

/** The password of a URL (as written and decoded), or nothing when there is none. */
function passwordsOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const { password } = new URL(url);
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

/** How to give the CLI an archive, for messages of commands that need or mention one. */
export const HOW_TO_GIVE_AN_ARCHIVE =
  "pass --archive-url postgres://user:password@host:5432/database, set STREAMSTORE_ARCHIVE_URL, or export `archive: createPostgresArchive({ connectionString })` (@streamstore/archive) from the config module";

/** Connection settings of an archive made from a URL: a CLI reports an unreachable server soon. */
const ARCHIVE_CONNECT_TIMEOUT_SECONDS = 5;

/**
 * Opens the context of one command run.
 *
 * @example
 * const context = createCommandContext(options, { stdout, stderr, env: process.env, cwd: process.cwd() });
 */
export function createCommandContext(options: GlobalOptions, io: CommandIo): CommandContext {
  // Passwords never reach the terminal, whatever message quotes a URL (drivers' errors do).
  const secrets = new Set(
    [
      ...redisSecretsOf(options.redisUrl ?? io.env.REDIS_URL),
      ...passwordsOf(options.archiveUrl ?? io.env.STREAMSTORE_ARCHIVE_URL),
    ].filter((secret) => secret.length >= 3),
  );
  const redact = (text: string): string => {
    let result = text;
    for (const secret of secrets) result = result.split(secret).join("***");
    return result;
  };
  const output = createOutput({
    json: options.json,
    color: options.color && !io.env.NO_COLOR && (io.stdout as { isTTY?: boolean }).isTTY === true,
    stdout: io.stdout,
    stderr: io.stderr,
    // A pseudo-terminal may report no size: COLUMNS, else 120.
    columns: () => (io.stderr as { columns?: number }).columns || Number(io.env.COLUMNS) || 120,
  });
  const logger = createCliLogger({
    level: options.logLevel,
    format: options.logFormat,
    stderr: io.stderr,
    redact,
  });
  let configPromise: Promise<StreamstoreConfig> | undefined;
  let client: Promise<RedisClient> | undefined;
  let nodeClient: Promise<Redis> | undefined;
  let archivePromise: Promise<{ archive: EventArchive; display: string } | undefined> | undefined;
  const config = (): Promise<StreamstoreConfig> => {
    configPromise ??= (async () => {
      const path = findConfigFile(options.config, io.cwd);
      const loaded = path ? await loadConfig(path) : {};
      // The config's own Redis URL may carry a password too.
      for (const secret of redisSecretsOf(loaded.redisUrl))
        if (secret.length >= 3) secrets.add(secret);
      return loaded;
    })();
    return configPromise;
  };
  // Where the Redis URL comes from: the header of every command that reads Redis says so.
  const redisSource = async (): Promise<RedisSource> => {
    if (options.redisUrl !== undefined) return { url: options.redisUrl, from: "--redis-url" };
    if (io.env.REDIS_URL) return { url: io.env.REDIS_URL, from: "REDIS_URL" };
    const configured = (await config()).redisUrl;
    if (configured !== undefined) return { url: configured, from: "the config's redisUrl" };
    return { url: undefined, from: "default" };
  };
  const connect = async (cluster: boolean) =>
    connectCliRedis(await redisSource(), {
      cluster,
      logger,
      // Once per run: the Cluster client of redis() follows the node() that printed it.
      ...(cluster ? {} : { header: (text: string) => output.note(text) }),
    });

  const node = async (): Promise<Redis> => {
    nodeClient ??= connect(false) as Promise<Redis>;
    return nodeClient;
  };

  const openArchive = (): Promise<{ archive: EventArchive; display: string } | undefined> => {
    archivePromise ??= (async () => {
      const url = options.archiveUrl ?? io.env.STREAMSTORE_ARCHIVE_URL;
      if (url === undefined || url === "") {
        const configured = (await config()).archive;
        if (configured === undefined) return undefined;
        if (
          typeof configured?.readStream !== "function" ||
          typeof configured.stats !== "function"
        ) {
          throw new CliError(
            EXIT_CODES.usage,
            "[streamstore] the config's `archive` is not an EventArchive: export `archive: createPostgresArchive({ connectionString })` (@streamstore/archive).",
          );
        }
        return { archive: configured, display: "the config's archive" };
      }
      const source = options.archiveUrl !== undefined ? "--archive-url" : "STREAMSTORE_ARCHIVE_URL";
      let protocol: string | undefined;
      try {
        protocol = new URL(url).protocol;
      } catch {
        protocol = undefined;
      }
      if (protocol !== "postgres:" && protocol !== "postgresql:") {
        throw new CliError(
          EXIT_CODES.usage,
          `[streamstore] ${source} ${maskConnectionString(url)} is not a PostgreSQL URL: pass postgres://user:password@host:5432/database.`,
        );
      }
      try {
        const archive = createPostgresArchive({
          connectionString: url,
          connectTimeoutSeconds: ARCHIVE_CONNECT_TIMEOUT_SECONDS,
        });
        return { archive, display: maskConnectionString(url) };
      } catch (error) {
        throw new CliError(
          EXIT_CODES.usage,
          redact(`[streamstore] ${source}: ${(error as Error).message}`),
        );
      }
    })();
    return archivePromise;
  };

  const never = new AbortController().signal;
  return {
    output,
    logger,
    interrupt: () => io.interrupt?.handle() ?? never,
    stderrIsTTY: (io.stderr as { isTTY?: boolean }).isTTY === true,
    stdoutIsTTY: (io.stdout as { isTTY?: boolean }).isTTY === true,
    async prefix() {
      const prefix = options.prefix ?? (await config()).prefix ?? "ss";
      // Validated before it reaches a SCAN pattern: "*" would list every tenant's keys.
      if (!isKeyPrefix(prefix)) {
        throw new CliError(
          EXIT_CODES.usage,
          `[streamstore] prefix ${JSON.stringify(prefix)} is not a key prefix: 1–64 letters, digits, "_", ".", ":" or "-". Pass the prefix your event store uses (--prefix or the config's prefix).`,
        );
      }
      return prefix;
    },
    config,
    redisUrlForDisplay: async () => displayOf(await redisSource()),
    archive: async () => (await openArchive())?.archive,
    archiveForDisplay: async () => (await openArchive())?.display,
    redact,
    node,
    async redis() {
      client ??= (async () => {
        const seed = await node();
        const clusterEnabled = /^cluster_enabled:1\s*$/m.test(
          String(await seed.info("cluster").catch(() => "")),
        );
        if (!clusterEnabled) return seed;
        // A keyless SCAN on one node lists that node's keys only, and multi-slot commands fail:
        // a Cluster client routes each key to its primary and knows every primary (issue 7).
        return (await connect(true)) as Cluster;
      })();
      return client;
    },
    async projection(name) {
      const projections = (await config()).projections ?? [];
      const found = projections.find((projection) => projection.name === name);
      if (!found) {
        const known = projections.map((projection) => projection.name);
        throw new CliError(
          EXIT_CODES.notFound,
          known.length === 0
            ? `[streamstore] no projection "${name}": no config module lists projections. Create streamstore.config.ts exporting defineConfig({ projections: [...] }) or pass --config <path>.`
            : `[streamstore] no projection "${name}" in the config. Known: ${known.join(", ")}.`,
        );
      }
      return found;
    },
    async close() {
      // The archive's pool would keep the process alive until its idle timeout.
      const archive = await archivePromise?.catch(() => undefined);
      archivePromise = undefined;
      await archive?.archive.close().catch(() => {});
      const opened = await Promise.all([
        client?.catch(() => undefined),
        nodeClient?.catch(() => undefined),
      ]);
      client = undefined;
      nodeClient = undefined;
      for (const redis of new Set(opened)) {
        if (redis) await redis.quit().catch(() => redis.disconnect());
      }
    },
  };
}
