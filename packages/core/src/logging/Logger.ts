/**
 * The logging interface streamstore writes to: pino-compatible (`logger.warn({ field }, "msg")`),
 * so a pino logger can be passed as it is.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * The default logger: silent for debug and info, warnings and errors to stderr, because a
 * warning such as "this Redis keeps nothing on disk" must not go unseen.
 *
 * @example
 * const store = getRedisEventStore({ redis, events, logger: consoleWarningLogger });
 */
export const consoleWarningLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (_fields, message) => console.warn(message),
  error: (fields, message) => console.error(message, fields),
};

/**
 * A logger that drops everything (for tests and benchmarks).
 *
 * @example
 * const store = getRedisEventStore({ redis, events, logger: silentLogger });
 */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
