import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import {
  InvalidRedisUrlError,
  RedisAuthError,
  RedisUnavailableError,
} from "../errors/connectionErrors.js";
import { InvalidArgumentError } from "../errors/errors.js";
import { consoleWarningLogger, type Logger } from "../logging/Logger.js";
import { createConnectionReporter } from "./connectionReporter.js";
import { redisFailureKind, redisFailureReason, rememberRedisUrl } from "./redisFailure.js";
import { parseRedisUrl, type RedisTarget } from "./redisUrl.js";

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /**
   * The longest wait for the server to be ready, in ms: for `connectRedis` itself (it throws
   * {@link RedisUnavailableError} after it) and for each later connection attempt. Default 5,000.
   */
  connectTimeoutMs?: number;
  /**
   * Reconnection attempts a command waits through while the connection is down before it fails
   * (ioredis `maxRetriesPerRequest`). Default 1: a command sent during an outage fails after two
   * failed attempts, about 2 × `retryDelayMaxMs` when the server refuses connections, at most
   * 2 × (`connectTimeoutMs` + `retryDelayMaxMs`) when the host does not answer.
   */
  maxRetriesPerRequest?: number;
  /** Longest pause between reconnection attempts, in ms (the backoff starts at 50). Default 2,000. */
  retryDelayMaxMs?: number;
  /**
   * Where connection losses and recoveries are reported, rate-limited; pino-compatible. Default
   * `consoleWarningLogger` (stderr): a lost Redis must not go unseen. `silentLogger` drops them.
   */
  logger?: Logger;
  /** At most one line per this many ms while Redis stays unavailable. Default 30,000. */
  errorLogIntervalMs?: number;
  /**
   * Connect as a Redis Cluster client seeded with the URL's node (ioredis `Cluster`): the URL's
   * credentials and TLS are used for every node. Default false.
   */
  cluster?: boolean;
  /** More ioredis options (`tls: { ca }`, `connectionName`, ...); they win over the URL's. */
  redisOptions?: RedisOptions;
  /** More ioredis Cluster options, with `cluster: true`. */
  clusterOptions?: ClusterOptions;
}

/** The defaults of {@link ConnectRedisOptions}. */
export const DEFAULT_CONNECT_REDIS_OPTIONS = {
  connectTimeoutMs: 5_000,
  maxRetriesPerRequest: 1,
  retryDelayMaxMs: 2_000,
  errorLogIntervalMs: 30_000,
} as const;

function checkMs(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(name, `${String(value)} must be an integer >= ${min} (ms).`);
  }
  return value;
}

/** ioredis options of a parsed URL. */
function optionsOfTarget(target: RedisTarget): RedisOptions {
  return {
    ...(target.transport === "socket"
      ? { path: target.path as string }
      : { host: target.host as string, port: target.port as number }),
    ...(target.transport === "tls" ? { tls: {} } : {}),
    db: target.db,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
}

/** A target given as ioredis options: checked like a URL, so it prints the same way. */
function targetOfOptions(options: RedisOptions): RedisTarget {
  const socket = (options as { path?: string }).path;
  if (typeof socket === "string" && socket !== "") {
    return parseRedisUrl(`unix://${socket}${options.db ? `?db=${options.db}` : ""}`);
  }
  const host = options.host ?? "127.0.0.1";
  const target = parseRedisUrl(
    `${options.tls ? "rediss" : "redis"}://${host.includes(":") ? `[${host}]` : host}:${options.port ?? 6379}/${options.db ?? 0}`,
  );
  return {
    ...target,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    display: options.password
      ? target.display.replace("://", `://${options.username ?? ""}:***@`)
      : options.username
        ? target.display.replace("://", `://${encodeURIComponent(options.username)}@`)
        : target.display,
  };
}

type Client = Redis | Cluster;

/**
 * Waits until `client` is ready, up to `timeoutMs`; an auth refusal ends the wait at once.
 * Connection errors meanwhile are kept for the message, not logged: they are thrown.
 */
function waitUntilReady(client: Client, target: RedisTarget, timeoutMs: number): Promise<void> {
  const secrets = target.password ? [target.password] : [];
  return new Promise<void>((resolve, reject) => {
    let lastError: unknown;
    const started = performance.now();
    const finish = (error?: Error) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      client.off("node error", onError);
      client.off("end", onEnd);
      if (error) reject(error);
      else resolve();
    };
    const unavailable = () =>
      new RedisUnavailableError(
        target.display,
        lastError === undefined ? "no answer" : redisFailureReason(lastError, secrets),
        { cause: lastError, waitedMs: Math.round(performance.now() - started) },
      );
    const onReady = () => finish();
    const onError = (error: unknown) => {
      lastError = error;
      if (redisFailureKind(error) === "auth") {
        finish(
          new RedisAuthError(target.display, redisFailureReason(error, secrets), { cause: error }),
        );
      }
    };
    const onEnd = () => finish(unavailable());
    const timer = setTimeout(() => finish(unavailable()), timeoutMs);
    client.on("ready", onReady);
    client.on("error", onError);
    client.on("node error", onError);
    client.on("end", onEnd);
    client.connect().catch((error: unknown) => {
      lastError ??= error;
    });
  });
}

/**
 * Opens a ready ioredis client for a Redis URL (or ioredis options), made for services that must
 * neither hang nor crash when Redis is away:
 *
 * - the URL is checked first ({@link parseRedisUrl}): a bad one throws
 *   {@link InvalidRedisUrlError} and nothing connects;
 * - it waits for `ready` at most `connectTimeoutMs`, then throws {@link RedisUnavailableError}
 *   (refused, timed out, unknown host) or {@link RedisAuthError} (WRONGPASS, NOAUTH), each with
 *   the URL's password masked, and closes the client;
 * - later, it reconnects by itself forever with backoff (50 ms doubling up to `retryDelayMaxMs`),
 *   a command sent during an outage fails after `maxRetriesPerRequest` + 1 attempts instead of
 *   waiting for Redis indefinitely (the event store turns that into `RedisUnavailableError`);
 * - its `error` listener reports losses and recoveries through `logger`, rate-limited: no
 *   "[ioredis] Unhandled error event" lines.
 *
 * Close it with `quit()` when done. See "Connecting to Redis" in the README.
 *
 * @example
 * const redis = await connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { logger });
 * const store = getRedisEventStore({ redis, events, logger });
 */
export function connectRedis(
  url: string | RedisOptions,
  options?: ConnectRedisOptions & { cluster?: false },
): Promise<Redis>;
export function connectRedis(
  url: string | RedisOptions,
  options: ConnectRedisOptions & { cluster: true },
): Promise<Cluster>;
export function connectRedis(
  url: string | RedisOptions,
  options?: ConnectRedisOptions,
): Promise<Redis | Cluster>;
export async function connectRedis(
  url: string | RedisOptions,
  options: ConnectRedisOptions = {},
): Promise<Redis | Cluster> {
  const target =
    typeof url === "string"
      ? parseRedisUrl(url)
      : typeof url === "object" && url !== null
        ? targetOfOptions(url)
        : parseRedisUrl(String(url));
  const connectTimeoutMs = checkMs(
    "connectTimeoutMs",
    options.connectTimeoutMs ?? DEFAULT_CONNECT_REDIS_OPTIONS.connectTimeoutMs,
    1,
  );
  const retryDelayMaxMs = checkMs(
    "retryDelayMaxMs",
    options.retryDelayMaxMs ?? DEFAULT_CONNECT_REDIS_OPTIONS.retryDelayMaxMs,
    1,
  );
  const maxRetriesPerRequest = checkMs(
    "maxRetriesPerRequest",
    options.maxRetriesPerRequest ?? DEFAULT_CONNECT_REDIS_OPTIONS.maxRetriesPerRequest,
    0,
  );
  const retryStrategy = (attempt: number): number =>
    Math.min(50 * 2 ** Math.min(attempt - 1, 20), retryDelayMaxMs);
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // ioredis keeps a process alive this long after disconnect() when the socket had already
    // failed (it waits for a "close" that never comes): 2 s by default, for every failed connect.
    disconnectTimeout: 200,
    maxRetriesPerRequest,
    retryStrategy,
    ...(typeof url === "object" && url !== null ? url : {}),
    ...optionsOfTarget(target),
    ...options.redisOptions,
  };
  let client: Client;
  if (options.cluster) {
    if (target.transport === "socket" || target.db !== 0) {
      throw new InvalidRedisUrlError(
        target.display,
        target.transport === "socket"
          ? "names a Unix socket, and a Cluster is reached over TCP"
          : "names a database other than 0, and a Redis Cluster has database 0 only",
      );
    }
    const { host, port, db: _db, lazyConnect: _lazy, ...nodeOptions } = common;
    client = new Cluster([{ host: host as string, port: port as number }], {
      lazyConnect: true,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: connectTimeoutMs,
      ...options.clusterOptions,
      redisOptions: { ...nodeOptions, ...options.clusterOptions?.redisOptions },
    });
  } else {
    client = new Redis(common);
  }
  rememberRedisUrl(client, target.display);
  // Listening from the start: ioredis prints "[ioredis] Unhandled error event" for an error
  // nobody listens to. Until ready, waitUntilReady keeps the errors for the error it throws.
  const reporter = createConnectionReporter({
    url: target.display,
    logger: options.logger ?? consoleWarningLogger,
    intervalMs: checkMs(
      "errorLogIntervalMs",
      options.errorLogIntervalMs ?? DEFAULT_CONNECT_REDIS_OPTIONS.errorLogIntervalMs,
      0,
    ),
    secrets: target.password ? [target.password] : [],
  });
  let connected = false;
  const report = (error: unknown) => {
    if (connected) reporter.error(error);
  };
  client.on("error", report);
  client.on("node error", report);
  client.on("ready", reporter.ready);
  try {
    await waitUntilReady(client, target, connectTimeoutMs);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  connected = true;
  return client;
}
