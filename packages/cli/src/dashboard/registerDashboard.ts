import { checkLayout, keyLayout } from "@streamstore/core/internal";
import { discoverProjections, discoverReactors } from "@streamstore/projections";
import { type Command, InvalidArgumentError, Option } from "commander";
import { Redis } from "ioredis";
import { type KnownReactor, mergeReactors } from "../commands/known.js";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { isCluster, type RedisClient } from "../context/RedisClient.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { checkExposure } from "./checkExposure.js";
import { collectSnapshot } from "./collectSnapshot.js";
import { DASHBOARD_TOKEN_ENV } from "./dashboardToken.js";
import { parseAllowedHosts } from "./requestGuard.js";
import { DEFAULT_DASHBOARD_OPTIONS, startDashboardServer } from "./startDashboardServer.js";

/**
 * The options of `streamstore dashboard`.
 *
 * @example
 * const options: DashboardCommandOptions = { host: "127.0.0.1", port: 0, interval: 1000, history: 10 };
 */
export interface DashboardCommandOptions {
  host: string;
  port: number;
  /** ms */
  interval: number;
  /** minutes */
  history: number;
  /** `--token`, else `STREAMSTORE_DASHBOARD_TOKEN`. */
  token?: string | undefined;
  insecureNoToken?: boolean | undefined;
  /** `--allowed-host`, repeated. */
  allowedHost?: string[] | undefined;
  maxClients?: number | undefined;
}

type DashboardProjection = Parameters<typeof collectSnapshot>[0]["projections"][number];

const DISCOVERY_INTERVAL_MS = 30_000;
/** How often the archive's figures are read: `stats()` reads its whole table. */
const ARCHIVE_STATS_INTERVAL_MS = 30_000;

function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return number;
  };
}

/**
 * Serves the dashboard until Ctrl-C (the context's interrupt, or `signal`) or SIGTERM, then closes the server and its
 * event streams and resolves exit code 0: stopping a status page is how it normally ends.
 *
 * @example
 * await runDashboard(context, { host: "127.0.0.1", port: 0, interval: 1000, history: 10 });
 */
export async function runDashboard(
  context: CommandContext,
  options: DashboardCommandOptions,
  signal?: AbortSignal,
): Promise<number> {
  // Options that would expose the page are refused before Redis is even dialled.
  const { warnings } = await checkExposure({
    host: options.host,
    token: options.token,
    insecureNoToken: options.insecureNoToken,
  });
  parseAllowedHosts(options.allowedHost ?? []);
  const checked = await context.redis();
  const prefix = await context.prefix();
  // A prefix of the stream-per-aggregate layout is refused before the page starts.
  await checkLayout(checked, keyLayout(prefix), false);
  // The command's client gives up after a few retries (right for one-shot commands); a page
  // left open for hours must outlive a Redis restart (or a failover), so it reads through a
  // client that retries.
  const retryStrategy = (attempt: number) => Math.min(2000, 100 * attempt);
  const redis: RedisClient = isCluster(checked)
    ? checked.duplicate([], {
        lazyConnect: false,
        clusterRetryStrategy: retryStrategy,
        redisOptions: { ...checked.options.redisOptions, retryStrategy, maxRetriesPerRequest: 1 },
      })
    : new Redis({
        ...checked.options,
        lazyConnect: false,
        retryStrategy,
        maxRetriesPerRequest: 1,
      });
  redis.on("error", () => {});
  const config = await context.config();
  const configured = config.projections ?? [];
  // Projections that ran against this prefix but are not in the config are shown too (found from
  // their keys and consumer groups). Discovery SCANs the keyspace, so it runs every
  // DISCOVERY_INTERVAL_MS rather than at every sample.
  // Reactors likewise: the config's and those whose consumer groups are on the category logs.
  let discovered:
    | { at: number; projections: DashboardProjection[]; reactors: KnownReactor[] }
    | undefined;
  const known = async () => {
    if (!discovered || Date.now() - discovered.at >= DISCOVERY_INTERVAL_MS) {
      const names = new Set(configured.map((projection) => projection.name));
      const [found, foundReactors] = await Promise.all([
        discoverProjections({ redis, prefix }),
        discoverReactors({ redis, prefix }),
      ]);
      discovered = {
        at: Date.now(),
        projections: found
          .filter((projection) => !names.has(projection.name))
          .map((projection) => ({ ...projection, build: projection.activeBuild ?? undefined })),
        reactors: mergeReactors(prefix, config.reactors ?? [], foundReactors),
      };
    }
    return {
      projections: [...configured, ...discovered.projections],
      reactors: discovered.reactors,
    };
  };
  // The archive's figures, read every ARCHIVE_STATS_INTERVAL_MS (a failure too is kept that long:
  // an unreachable archive must not slow every sample down by its connect timeout).
  const archive = await context.archive();
  const archiveTarget = await context.archiveForDisplay();
  let archiveRead:
    | {
        at: number;
        stats?: Awaited<ReturnType<NonNullable<typeof archive>["stats"]>>;
        error?: unknown;
      }
    | undefined;
  const archiveSource = archive
    ? {
        target: archiveTarget as string,
        async stats() {
          if (!archiveRead || Date.now() - archiveRead.at >= ARCHIVE_STATS_INTERVAL_MS) {
            const at = Date.now();
            archiveRead = await archive.stats().then(
              (stats) => ({ at, stats }),
              (error: unknown) => ({
                at,
                error: new Error(
                  context.redact(error instanceof Error ? error.message : String(error)),
                ),
              }),
            );
          }
          if (archiveRead.error) throw archiveRead.error;
          return { at: archiveRead.at, stats: archiveRead.stats ?? [] };
        },
      }
    : undefined;
  let server: Awaited<ReturnType<typeof startDashboardServer>>;
  try {
    server = await startDashboardServer({
      collect: async () =>
        collectSnapshot({
          redis,
          prefix,
          ...(await known()),
          ...(archiveSource ? { archive: archiveSource } : {}),
        }),
      title: prefix,
      redis: await context.redisUrlForDisplay(),
      host: options.host,
      token: options.token,
      insecureNoToken: options.insecureNoToken,
      allowedHosts: options.allowedHost,
      maxClients: options.maxClients,
      port: options.port,
      intervalMs: options.interval,
      historyMs: options.history * 60_000,
      logger: context.logger,
    });
  } catch (error) {
    redis.disconnect();
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CliError(
        EXIT_CODES.failure,
        `[streamstore] port ${options.port} on ${options.host} is in use. Pass --port <n>, or --port 0 for a free one.`,
      );
    }
    throw new CliError(
      EXIT_CODES.failure,
      reason.startsWith("[streamstore]") ? reason : `[streamstore] ${reason}`,
    );
  }
  context.output.line(`streamstore dashboard on ${server.url}`);
  if (options.token !== undefined) {
    context.output.note(
      `The page needs the token: open ${server.url}?token=<token> once (it sets a cookie), or send Authorization: Bearer <token>.`,
    );
  }
  for (const warning of warnings) context.output.note(warning);
  context.output.note(`Press Ctrl-C to stop.`);
  // Ctrl-C arrives through the context (bin.ts owns SIGINT); SIGTERM is how service managers stop it.
  const interrupted = signal ?? context.interrupt();
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      interrupted.removeEventListener("abort", stop);
      resolve();
    };
    process.once("SIGTERM", stop);
    if (interrupted.aborted) stop();
    else interrupted.addEventListener("abort", stop, { once: true });
  });
  await server.close();
  await redis.quit().catch(() => redis.disconnect());
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore dashboard` on the program.
 *
 * @example
 * registerDashboard(program, runAction);
 */
export function registerDashboard(program: Command, runAction: ActionRunner): void {
  program
    .command("dashboard")
    .description(
      "Serve a live status page on localhost: projection lag over time, throughput, dead letters, consumers per group, and per category partition what is in Redis and what was archived (with the archive's size when one is given).",
    )
    .option(
      "--host <host>",
      "interface to listen on; beyond loopback it needs --token (or --insecure-no-token)",
      DEFAULT_DASHBOARD_OPTIONS.host,
    )
    .addOption(
      new Option(
        "--token <token>",
        "a secret every request must carry (Authorization: Bearer, or open /?token=<token> once in the browser); at least 16 characters",
      ).env(DASHBOARD_TOKEN_ENV),
    )
    .option(
      "--insecure-no-token",
      "listen beyond loopback without a token (only behind a proxy that authenticates)",
    )
    .option(
      "--allowed-host <host>",
      "a Host name the page is also served under (name for any port, name:port); repeatable. Default: localhost, 127.0.0.1, [::1] and the bound address",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--max-clients <n>",
      "pages following the live events at once; the next gets 503",
      integerOption("--max-clients", 1, 10_000),
      DEFAULT_DASHBOARD_OPTIONS.maxClients,
    )
    .option(
      "--port <port>",
      "port to listen on; 0 picks a free one",
      integerOption("--port", 0, 65535),
      DEFAULT_DASHBOARD_OPTIONS.port,
    )
    .option(
      "--interval <ms>",
      "how often to sample Redis and refresh the page",
      integerOption("--interval", 100, 60_000),
      DEFAULT_DASHBOARD_OPTIONS.intervalMs,
    )
    .option(
      "--history <minutes>",
      "minutes of samples kept and shown",
      integerOption("--history", 1, 24 * 60),
      DEFAULT_DASHBOARD_OPTIONS.historyMs / 60_000,
    )
    .addHelpText(
      "after",
      `
Example:
  $ streamstore dashboard --config streamstore.config.ts --prefix shop
  streamstore dashboard on http://127.0.0.1:4800/

The page follows /api/events (Server-Sent Events); GET /api/snapshot returns the same data as JSON.
Requests naming another Host get 421, requests from other sites' pages 403. Beyond loopback:
  $ export STREAMSTORE_DASHBOARD_TOKEN=$(openssl rand -hex 32)   # the browser needs it once
  $ streamstore dashboard --host 0.0.0.0 --allowed-host dash.internal
Ctrl-C stops it (exit code 0).`,
    )
    .action(
      runAction((context, options: DashboardCommandOptions) => runDashboard(context, options)),
    );
}
