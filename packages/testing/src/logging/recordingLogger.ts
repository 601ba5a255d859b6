import type { Logger } from "@streamstore/core";
import { logLine } from "@streamstore/core/internal";

/** One record kept by a {@link recordingLogger}. */
export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  fields: Record<string, unknown>;
  message: string;
}

/** A {@link Logger} that keeps what it is given, for assertions and failure messages. */
export interface RecordingLogger extends Logger {
  /** Every record, oldest first. */
  readonly records: LogRecord[];
  /**
   * The records as lines (`level message {fields}`, control characters escaped, as the console
   * logger writes them): pass it as an assertion's message.
   */
  text(): string;
}

/**
 * A logger for tests: it keeps every record, so a test can assert what a store, a projection or
 * a reactor logged, and say why it failed (`expect(seen, logger.text()).toBe(10)`) instead of
 * hiding the cause behind a silent logger.
 *
 * @example
 * const logger = recordingLogger();
 * const reactor = startReactor(audit, { redis, store, logger });
 * expect(logger.records.filter((record) => record.level === "warn"), logger.text()).toEqual([]);
 */
export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord["level"]) =>
    (fields: Record<string, unknown>, message: string): void => {
      records.push({ level, fields, message });
    };
  return {
    records,
    text: () =>
      records
        .map(({ level, fields, message }) => `${level} ${logLine(fields, message)}`)
        .join("\n"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}
