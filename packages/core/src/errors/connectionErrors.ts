import { isStreamstoreError, StreamstoreError } from "./StreamstoreError.js";

/** Where a message about connecting points the reader (a README section every install has). */
const SEE_CONNECTING = 'See "Connecting to Redis" in the @streamstore/core README.';

/** What a valid Redis URL looks like, for messages about a URL that is not one. */
export const REDIS_URL_FORMS =
  "redis://[user:password@]host[:port][/db] (rediss:// for TLS, unix:///path/to/redis.sock[?db=N] for a socket)";

/**
 * A Redis URL that cannot be used: another scheme, no scheme, a bad port or database. Nothing
 * was connected to. The message and `url` quote the URL with its password masked (`***`).
 *
 * @example
 * if (isInvalidRedisUrlError(error)) console.log(error.url, error.reason);
 */
export class InvalidRedisUrlError extends StreamstoreError {
  constructor(
    /** The URL as given, its password masked. */
    readonly url: string,
    /** What is wrong with it. */
    readonly reason: string,
  ) {
    super(
      "INVALID_REDIS_URL",
      `[streamstore] the Redis URL ${JSON.stringify(url)} ${reason}. A Redis URL looks like ${REDIS_URL_FORMS}. ${SEE_CONNECTING}`,
    );
  }
}

/**
 * Redis could not be reached (connection refused, timed out, host unknown, connection lost and
 * not back in time). Nothing was done by the command that failed: retry it once Redis is back.
 *
 * @example
 * catch (error) { if (isRedisUnavailableError(error)) return res.status(503).end(); }
 */
export class RedisUnavailableError extends StreamstoreError {
  constructor(
    /** Where the client connects, its password masked. */
    readonly url: string,
    /** The driver's own words (ECONNREFUSED, ETIMEDOUT, ...), password masked. */
    readonly reason: string,
    options?: { cause?: unknown; waitedMs?: number },
  ) {
    super(
      "REDIS_UNAVAILABLE",
      `[streamstore] cannot reach Redis at ${url}${options?.waitedMs === undefined ? "" : ` within ${options.waitedMs} ms`} (${reason}): check that the server runs and that host, port and scheme are right (rediss:// for TLS), then retry. ${SEE_CONNECTING}`,
      options,
    );
  }
}

/**
 * Redis refused the credentials (WRONGPASS, NOAUTH): a wrong or missing password, an unknown
 * or disabled ACL user. Retrying with the same credentials cannot help.
 *
 * @example
 * if (isRedisAuthError(error)) console.log(`fix the credentials of ${error.url}`);
 */
export class RedisAuthError extends StreamstoreError {
  constructor(
    /** Where the client connects, its password masked. */
    readonly url: string,
    /** Redis's reply (WRONGPASS ..., NOAUTH ...). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      "REDIS_AUTH",
      `[streamstore] Redis at ${url} refused the credentials (${reason}): check the user and password in the URL (redis://user:password@host:port, or redis://:password@host:port for the default user) and that the ACL user is enabled. ${SEE_CONNECTING}`,
      options,
    );
  }
}

/** @example if (isInvalidRedisUrlError(error)) console.log(error.reason); */
export const isInvalidRedisUrlError = (error: unknown): error is InvalidRedisUrlError =>
  isStreamstoreError(error, "INVALID_REDIS_URL");
/** @example if (isRedisUnavailableError(error)) retryLater(); */
export const isRedisUnavailableError = (error: unknown): error is RedisUnavailableError =>
  isStreamstoreError(error, "REDIS_UNAVAILABLE");
/** @example if (isRedisAuthError(error)) alertOps(); */
export const isRedisAuthError = (error: unknown): error is RedisAuthError =>
  isStreamstoreError(error, "REDIS_AUTH");
