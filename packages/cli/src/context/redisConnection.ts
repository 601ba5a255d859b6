import {
  connectRedis,
  isInvalidRedisUrlError,
  isRedisAuthError,
  isRedisUnavailableError,
  type Logger,
  maskRedisUrl,
  parseRedisUrl,
} from "@streamstore/core";
import { REDIS_URL_FORMS } from "@streamstore/core/internal";
import type { Cluster, Redis } from "ioredis";
import { CliError, EXIT_CODES } from "../exitCodes.js";

/** The Redis every command reads when neither --redis-url, REDIS_URL nor the config names one. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** How long a command waits for Redis to be ready before it reports it unreachable, ms. */
export const CLI_CONNECT_TIMEOUT_MS = 3000;

/**
 * Where the Redis URL of a command run comes from (`url` undefined: the default).
 *
 * @example
 * const source: RedisSource = { url: process.env.REDIS_URL, from: "REDIS_URL" };
 */
export interface RedisSource {
  url: string | undefined;
  from: "--redis-url" | "REDIS_URL" | "the config's redisUrl" | "default";
}

/**
 * The URL a command connects to, password masked (`***`), for headers and messages; a URL that
 * does not parse is masked as it is.
 *
 * @example
 * displayOf({ url: "redis://:s3cret@cache:6379", from: "REDIS_URL" }); // "redis://:***@cache:6379/0"
 */
export function displayOf(source: RedisSource): string {
  const url = source.url ?? DEFAULT_REDIS_URL;
  try {
    return parseRedisUrl(url).display;
  } catch {
    return maskRedisUrl(url);
  }
}

/**
 * The first line of every command that reads Redis (on stderr): which Redis, and, when nothing
 * named one, that it is the default, so "never ran" is not mistaken for a fact about another
 * server.
 *
 * @example
 * redisHeader({ url: undefined, from: "default" }); // "Redis: redis://127.0.0.1:6379/0 (the default: neither --redis-url nor REDIS_URL is set)"
 */
export function redisHeader(source: RedisSource): string {
  const where =
    source.from === "default"
      ? " (the default: neither --redis-url nor REDIS_URL is set)"
      : source.from === "the config's redisUrl"
        ? " (from the config's redisUrl)"
        : "";
  return `Redis: ${displayOf(source)}${where}`;
}

/**
 * The password of a Redis URL (decoded and as written), also of one without a scheme
 * (`user:pass@host:6379`), so that messages quoting it can mask it; nothing when there is none.
 *
 * @example
 * redisSecretsOf("user:s%40cret@cache:6379"); // ["s%40cret", "s@cret"]
 */
export function redisSecretsOf(url: string | undefined): string[] {
  if (!url) return [];
  const written = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^:@/]*:(.*)@[^@]*$/.exec(url.trim())?.[1];
  if (!written) return [];
  try {
    return [written, decodeURIComponent(written)];
  } catch {
    return [written];
  }
}

/**
 * The typed errors of connecting, as the CLI's messages and exit codes: a bad URL is a usage
 * error (2), an unreachable Redis 5, refused credentials 6. Other errors are returned as they are.
 *
 * @example
 * throw cliConnectionError(error, { url: "http://x", from: "--redis-url" });
 */
export function cliConnectionError(error: unknown, source: RedisSource): unknown {
  const named = source.from === "default" ? "the default Redis URL" : source.from;
  if (isInvalidRedisUrlError(error)) {
    return new CliError(
      EXIT_CODES.usage,
      `[streamstore] ${named} ${JSON.stringify(error.url)} ${error.reason}. A Redis URL looks like ${REDIS_URL_FORMS}.`,
    );
  }
  if (isRedisAuthError(error)) {
    return new CliError(
      EXIT_CODES.redisAuth,
      `[streamstore] Redis at ${error.url} refused the credentials (${error.reason}). Check the user and password in ${named} (redis://user:password@host:port, or redis://:password@host:port for the default user) and that the ACL user is enabled.`,
    );
  }
  if (isRedisUnavailableError(error)) {
    const hint =
      source.from === "default"
        ? "Neither --redis-url nor REDIS_URL is set: pass the URL of your Redis"
        : `Check --redis-url or REDIS_URL (it came from ${named})`;
    return new CliError(
      EXIT_CODES.unreachable,
      `[streamstore] cannot reach Redis at ${error.url} within ${CLI_CONNECT_TIMEOUT_MS} ms (${error.reason}). ${hint}: rediss:// for TLS, redis://user:password@host:port for an ACL user.`,
    );
  }
  return error;
}

/**
 * Connects a command to its Redis with connectRedis's bounds (a ready client within
 * {@link CLI_CONNECT_TIMEOUT_MS}, commands that fail instead of waiting through an outage),
 * after writing the {@link redisHeader} with `header` when given (for a URL that parses);
 * connection failures become
 * the CLI's errors ({@link cliConnectionError}).
 *
 * @example
 * const redis = await connectCliRedis({ url, from: "--redis-url" }, { cluster: false, logger, header: output.note });
 */
export async function connectCliRedis(
  source: RedisSource,
  options: { cluster: boolean; logger: Logger; header?: (text: string) => void },
): Promise<Redis | Cluster> {
  try {
    // A URL that is no Redis URL is reported before any header or connection.
    parseRedisUrl(source.url ?? DEFAULT_REDIS_URL);
    options.header?.(redisHeader(source));
    return await connectRedis(source.url ?? DEFAULT_REDIS_URL, {
      cluster: options.cluster,
      connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
      retryDelayMaxMs: 500,
      logger: options.logger,
    });
  } catch (error) {
    throw cliConnectionError(error, source);
  }
}
