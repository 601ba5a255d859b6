import { ReplyError } from "ioredis";

/**
 * Turns a reply (or anything a differential case returns) into a shape that is equal on real Redis
 * and on the fake whenever the two behave the same, by rewriting only what legitimately differs
 * between two runs:
 *
 * - the per-run key prefix becomes `{p}`;
 * - ids generated from the wall clock (their milliseconds fall inside the run's own time window,
 *   see {@link NormalizeOptions.clock}) become `<id:1>`, `<id:2>`… in order of first appearance,
 *   so that equal ids stay equal and different ids stay different (so a case gives `*` to one
 *   stream only: two streams served in the same millisecond share an id by chance). Any other id,
 *   such as the explicit `99999999999999-5` or the id `*` derives from it, is compared as is;
 * - integers inside the run's time window (XINFO STREAM FULL `seen-time`, `delivery-time`)
 *   become `<timestamp>`;
 * - the value after an `idle` key of a flat XINFO reply becomes `<idle>` when it is a plausible
 *   idle time (see {@link maskIdle}); a bogus one is kept as is so that it shows in the diff;
 * - `radix-tree-keys` / `radix-tree-nodes` (memory layout figures) become `<size>` when they are
 *   non-negative integers; anything else is kept so that it shows in the diff;
 * - errors become `{ error: <name>, isReplyError, message }` (plus ioredis's `previousErrors`).
 *   `name` rather than the constructor's name: with RESP3, ioredis 6 throws `SimpleError`, a
 *   subclass of `ReplyError` whose `name` is `"ReplyError"`; what callers can rely on is
 *   `instanceof ReplyError` and `name`.
 *
 * Everything else (order, counts, explicit ids, nulls, field order) is compared as is.
 */
export interface NormalizeOptions {
  /** The random key prefix of the run, replaced by `{p}` wherever it appears in a string. */
  prefix: string;
  /**
   * The wall-clock window of the run, in ms (`Date.now()` before the case started and after it
   * ended). Only values inside it (widened by {@link CLOCK_SLACK_MS}) count as read from the
   * clock: Redis and the fake run on this machine, so an id `*` generated from the clock lands
   * there, and an id a case wrote (or one derived from it) does not.
   */
  clock: { fromMs: number; toMs: number };
}

/** How far outside the run's window a clock reading may lie (clock granularity, Redis's cached time). */
export const CLOCK_SLACK_MS = 1_000;

/** How far above its lower bound an idle time may be and still count as plausible. */
export const IDLE_TOLERANCE_MS = 5_000;

const STREAM_ID = /^(\d+)-(\d+)$/;

const SIZE_KEYS = new Set(["radix-tree-keys", "radix-tree-nodes"]);
const IDLE_KEYS = new Set(["idle", "inactive"]);

/**
 * Replaces an idle time by a placeholder when it lies in `[atLeastMs, atLeastMs + IDLE_TOLERANCE_MS)`,
 * and keeps it otherwise, so that a wrong idle time (negative, never reset, not a number) still
 * makes the comparison fail.
 *
 * @example
 * maskIdle(3) // "<idle>"
 * maskIdle(5004, 5000) // "<idle≥5000>"
 */
export function maskIdle(value: unknown, atLeastMs = 0): unknown {
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= atLeastMs &&
    value < atLeastMs + IDLE_TOLERANCE_MS
  ) {
    return atLeastMs === 0 ? "<idle>" : `<idle≥${atLeastMs}>`;
  }
  return value;
}

/**
 * Normalises one run's outcome. Create one normaliser per run: the id placeholders are numbered
 * per run.
 *
 * @example
 * const normalize = createNormalizer({
 *   prefix: "diff:ab12:",
 *   clock: { fromMs: 1700000000000, toMs: 1700000000050 },
 * });
 * normalize(["diff:ab12:s", "1700000000007-0", "5-0"]) // ["{p}s", "<id:1>", "5-0"]
 */
export function createNormalizer(options: NormalizeOptions): (value: unknown) => unknown {
  const autoIds = new Map<string, string>();
  const fromMs = options.clock.fromMs - CLOCK_SLACK_MS;
  const toMs = options.clock.toMs + CLOCK_SLACK_MS;
  const isClockReading = (ms: number): boolean =>
    Number.isInteger(ms) && ms >= fromMs && ms <= toMs;

  const normalizeString = (value: string): string => {
    const id = STREAM_ID.exec(value);
    if (id) {
      const ms = Number(id[1]);
      if (isClockReading(ms)) {
        let placeholder = autoIds.get(value);
        if (placeholder === undefined) {
          placeholder = `<id:${autoIds.size + 1}>`;
          autoIds.set(value, placeholder);
        }
        return placeholder;
      }
      return value;
    }
    return options.prefix.length > 0 ? value.split(options.prefix).join("{p}") : value;
  };

  const normalizeError = (error: Error): unknown => {
    const shape: Record<string, unknown> = {
      error: error.name,
      isReplyError: error instanceof ReplyError,
      message: normalizeString(error.message),
    };
    const previousErrors = (error as { previousErrors?: unknown }).previousErrors;
    if (Array.isArray(previousErrors)) shape.previousErrors = previousErrors.map(normalize);
    return shape;
  };

  const normalize = (value: unknown): unknown => {
    if (value instanceof Error) return normalizeError(value);
    if (typeof value === "string") return normalizeString(value);
    if (typeof value === "number") return isClockReading(value) ? "<timestamp>" : value;
    if (Buffer.isBuffer(value)) return { buffer: normalizeString(value.toString("latin1")) };
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let index = 0; index < value.length; index++) {
        const previous = index % 2 === 1 ? value[index - 1] : undefined;
        const item = value[index];
        if (
          typeof previous === "string" &&
          SIZE_KEYS.has(previous) &&
          Number.isInteger(item) &&
          (item as number) >= 0
        ) {
          out.push("<size>");
        } else if (typeof previous === "string" && IDLE_KEYS.has(previous)) {
          out.push(maskIdle(item));
        } else {
          out.push(normalize(item));
        }
      }
      return out;
    }
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[normalizeString(key)] = normalize(item);
      return out;
    }
    return value;
  };

  return normalize;
}
