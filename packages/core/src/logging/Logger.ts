import { escapeControlCharacters, stringifyJsonSafely } from "../util/escapeControlCharacters.js";

/**
 * The logging interface streamstore writes to: pino-compatible (`logger.warn({ field }, "msg")`),
 * so a pino logger can be passed as it is. Every record carries structured fields (`projection`,
 * `build`, `partition`, `worker`, `stream`, `error`, ...) beside a `[streamstore]` message.
 *
 * @example
 * const logger: Logger = pino({ level: "info" });
 * const store = getRedisEventStore({ redis, events, logger });
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

function fieldsText(fields: Record<string, unknown>): string {
  try {
    return stringifyJsonSafely(fields, (_key, value: unknown) =>
      value instanceof Error ? value.message : value,
    );
  } catch {
    return "{}";
  }
}

/**
 * A log record as one line of text: the message, then its fields as JSON (an Error as its
 * message), with control, bidi and invisible characters escaped. What the console logger writes,
 * and what a recording logger of @streamstore/testing prints.
 *
 * @example
 * process.stderr.write(`${logLine({ stream: "order-7" }, "[streamstore] retrying")}\n`);
 */
export function logLine(fields: Record<string, unknown>, message: string): string {
  return `${escapeControlCharacters(message)} ${fieldsText(fields)}`;
}

function consoleLine(fields: Record<string, unknown>, message: string): string {
  return `${logLine(fields, message)}\n`;
}

/**
 * A logger that writes warnings and errors to stderr (the message, then its fields as JSON) and
 * drops debug and info. Messages and fields quote untrusted text (handler errors, event data):
 * their control, bidi and invisible characters are written as escapes (`\x1b`, `\u202e`), never
 * raw to the terminal. Not the default any more (issue 7: logging is silent unless asked for):
 * pass it when a quick look is wanted without a logging library.
 *
 * @example
 * const store = getRedisEventStore({ redis, events, logger: consoleWarningLogger });
 */
export const consoleWarningLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (fields, message) => process.stderr.write(consoleLine(fields, message)),
  error: (fields, message) => process.stderr.write(consoleLine(fields, message)),
};

/**
 * A logger that drops everything: the default of the store, `handleCommand`, the projection
 * runner and the reactor. Without a logger, the one warning that must not go unseen (a Redis that
 * keeps nothing on disk) is emitted with `process.emitWarning` instead.
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
