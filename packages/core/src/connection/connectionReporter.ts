import type { Logger } from "../logging/Logger.js";
import { redisFailureKind, redisFailureReason } from "./redisFailure.js";

/**
 * Turns a client's stream of `error` and `ready` events into few log lines: the first error of
 * an outage at once, then at most one line per `intervalMs` (with how many errors it stands
 * for), and one line when the connection is back. Pure apart from the logger and the clock.
 *
 * @example
 * const reporter = createConnectionReporter({ url: "redis://127.0.0.1:6379/0", logger, intervalMs: 30_000 });
 * redis.on("error", reporter.error);
 * redis.on("ready", reporter.ready);
 */
export function createConnectionReporter(options: {
  /** The masked URL, for every line. */
  url: string;
  logger: Logger;
  /** At most one line per this many ms during an outage. */
  intervalMs: number;
  /** Secrets to mask in the driver's words. */
  secrets?: readonly string[];
  /** The clock (ms); tests pass their own. */
  now?: () => number;
}): { error(error: unknown): void; ready(): void } {
  const { url, logger, intervalMs } = options;
  const now = options.now ?? (() => performance.now());
  let outageSince: number | undefined;
  let lastLineAt = 0;
  let unreported = 0;
  return {
    error(error) {
      const at = now();
      const kind = redisFailureKind(error);
      const reason = redisFailureReason(error, options.secrets);
      const fields = { redis: url, error: reason, kind: kind ?? "error" };
      if (outageSince === undefined) {
        outageSince = at;
        lastLineAt = at;
        unreported = 0;
        if (kind === "auth") {
          logger.error(
            fields,
            `[streamstore] Redis at ${url} refused the credentials (${reason}): fix the user and password in the URL; reconnecting meanwhile, and commands fail with RedisAuthError. See "Connecting to Redis" in the @streamstore/core README.`,
          );
        } else {
          logger.warn(
            fields,
            `[streamstore] lost the connection to Redis at ${url} (${reason}); reconnecting with backoff, and commands fail with RedisUnavailableError until it is back. See "Connecting to Redis" in the @streamstore/core README.`,
          );
        }
        return;
      }
      unreported++;
      if (at - lastLineAt < intervalMs) return;
      const seconds = Math.round((at - outageSince) / 1000);
      (kind === "auth" ? logger.error : logger.warn).call(
        logger,
        { ...fields, outageMs: Math.round(at - outageSince), errors: unreported },
        `[streamstore] Redis at ${url} still unavailable after ${seconds} s (${reason}; ${unreported} error${unreported === 1 ? "" : "s"} since the last report); still reconnecting.`,
      );
      lastLineAt = at;
      unreported = 0;
    },
    ready() {
      if (outageSince === undefined) return;
      const outageMs = Math.round(now() - outageSince);
      outageSince = undefined;
      logger.warn(
        { redis: url, outageMs },
        `[streamstore] reconnected to Redis at ${url} after ${(outageMs / 1000).toFixed(1)} s.`,
      );
    },
  };
}
