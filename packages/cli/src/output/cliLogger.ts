import type { Logger } from "@streamstore/core";
import { escapeControlCharacters, stringifyJsonSafely } from "@streamstore/core/internal";

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/**
 * A log level of the CLI's `--log-level`.
 *
 * @example
 * const level: LogLevel = "warn";
 */
export type LogLevel = (typeof LEVELS)[number];

/**
 * Whether a string is a {@link LogLevel}.
 *
 * @example
 * isLogLevel("info"); // true
 */
export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/**
 * The CLI's logger: the toolkit's pino-compatible {@link Logger}, writing one line per record to
 * stderr at or above `level`, as JSON (`--log-format json`, one object per line like pino) or as
 * the message alone. Records quote untrusted text (handler errors, event data): every control, bidi
 * and invisible character is written as an escape (`\x1b`, `\n`, `\u202e`), in JSON as a `\u`
 * escape, so one record is always one line and nothing in it drives the terminal.
 *
 * @example
 * const logger = createCliLogger({ level: "info", format: "json", stderr: process.stderr });
 */
export function createCliLogger(options: {
  level: LogLevel;
  format: "json" | "pretty";
  stderr: NodeJS.WritableStream;
  /** Applied to every line written (the CLI masks the passwords it was given). */
  redact?: (text: string) => string;
}): Logger {
  const redact = options.redact ?? ((text: string) => text);
  const threshold = LEVELS.indexOf(options.level);
  const write =
    (level: Exclude<LogLevel, "silent">) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (LEVELS.indexOf(level) < threshold) return;
      const line =
        options.format === "json"
          ? stringifyJsonSafely({ level, time: Date.now(), ...fields, msg: message })
          : `${level}: ${message}`;
      // Redacted before escaping (a password is matched as given); JSON has nothing left to escape.
      options.stderr.write(`${escapeControlCharacters(redact(line))}\n`);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
