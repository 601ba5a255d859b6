import { createInterface } from "node:readline/promises";
import { type Command, InvalidArgumentError } from "commander";
import type { CommandContext } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";

/**
 * Resolves after `ms`, or at once when `signal` aborts (Ctrl-C ends a wait without an error).
 *
 * @example
 * await sleep(1000, context.interrupt());
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Parses an option that must be a whole number >= `min` (commander's argParser), so that
 * `--limit ten` is a usage error (exit 2) instead of a NaN reaching Redis.
 *
 * @example
 * command.option("--limit <n>", "at most n", integerOption("--limit", 1), 100);
 */
export function integerOption(name: string, min: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
      // Commander's own error: it prints the option's name and usage ends with exit code 2.
      throw new InvalidArgumentError(`${name} must be a whole number >= ${min}.`);
    }
    return number;
  };
}

/**
 * Parses an argument that must be a Redis stream id (`<ms>-<seq>`, as `dlq list` prints them), so
 * that a mistyped id is a usage error (exit 2) naming the form, not Redis's "Invalid stream ID".
 *
 * @example
 * command.argument("<id>", "dead-letter id", streamIdArgument("<id>"));
 */
export function streamIdArgument(name: string): (value: string) => string {
  return (value) => {
    // Both parts are unsigned 64-bit in Redis: at most 20 digits each.
    if (!/^[0-9]{1,20}-[0-9]{1,20}$/.test(value)) {
      throw new InvalidArgumentError(
        `${name} must be a stream id such as 1718000000000-0 (the ids "streamstore dlq list" shows).`,
      );
    }
    return value;
  };
}

/**
 * The time of a Redis stream id (its millisecond part), as ISO 8601.
 *
 * @example
 * timeOfStreamId("1700000000000-0"); // "2023-11-14T22:13:20.000Z"
 */
export function timeOfStreamId(id: string | undefined): string | null {
  const ms = Number(id?.split("-")[0]);
  return id && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}

/**
 * A field/value list of a Redis reply as a map.
 *
 * @example
 * fieldsOf(["t", "Deposited", "d", "{}"]).get("t"); // "Deposited"
 */
export function fieldsOf(list: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (!Array.isArray(list)) return map;
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), list[i + 1]);
  return map;
}

/**
 * Asks to go ahead with something that cannot be undone: `--yes` skips the question; without a
 * terminal to ask on, the command refuses (exit 2) rather than act unasked.
 *
 * @example
 * await confirm(context, options.yes, `Discard ${count} dead letters of "balances"?`);
 */
export async function confirm(
  context: CommandContext,
  yes: boolean | undefined,
  question: string,
): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !context.stderrIsTTY) {
    throw new CliError(
      EXIT_CODES.usage,
      `[streamstore] ${question} Pass --yes to confirm (no terminal to ask on).`,
    );
  }
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    // The question quotes names read from Redis: rendered (escaped) as any text of the output.
    const answer = await readline.question(`${context.output.render(question)} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new CliError(EXIT_CODES.failure, "[streamstore] cancelled; nothing was changed.");
    }
  } finally {
    readline.close();
  }
}

/**
 * Adds the "Example:" block of a command's `--help`.
 *
 * @example
 * withExamples(command, ["streamstore streams --category account"]);
 */
export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText(
    "after",
    `\nExample${examples.length > 1 ? "s" : ""}:\n${examples.map((line) => `  $ ${line}`).join("\n")}\n`,
  );
}

/**
 * Shortens a JSON text for a table cell.
 *
 * @example
 * truncate('{"amount":10}', 40);
 */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a duration option, a whole number with a unit (`ms`, `s`, `m`, `h`, `d`, `w`: `7d`,
 * `12h`, `30m`), into milliseconds (commander's argParser); anything else is a usage error
 * (exit 2), so `--keep 7` cannot mean 7 ms by accident.
 *
 * @example
 * command.option("--keep <duration>", "keep this long", durationOption("--keep"));
 */
export function durationOption(name: string): (value: string) => number {
  return (value) => {
    const match = /^([0-9]+)(ms|s|m|h|d|w)$/.exec(value.trim());
    const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : NaN;
    if (!Number.isSafeInteger(ms)) {
      throw new InvalidArgumentError(
        `${name} must be a whole number and a unit, like 30m, 12h or 7d (ms, s, m, h, d, w).`,
      );
    }
    return ms;
  };
}

/**
 * A duration in the largest unit that writes it whole (`604800000` → `7d`), for messages.
 *
 * @example
 * formatDuration(43_200_000); // "12h"
 */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"] as const) {
    const size = DURATION_UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Bytes for people: B, KiB, MiB, GiB.
 *
 * @example
 * formatBytes(5324); // "5.2 KiB"
 */
export function formatBytes(value: number): string {
  if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(1)} GiB`;
  if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}
