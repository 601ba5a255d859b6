import {
  type CommandContext,
  type CommandTable,
  lookupTyped,
  parseInt64,
} from "../CommandContext.js";
import { ERR_NOT_INTEGER, ERR_SYNTAX, OK, type Reply, replyError } from "../replyError.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function get(ctx: CommandContext, argv: readonly string[]): Reply {
  return lookupTyped(ctx, argv[1] as string, "string") ?? null;
}

/** SET with the option rules of Redis 7.0's `parseExtendedStringArgumentsOrReply`. */
function set(ctx: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1] as string;
  const value = argv[2] as string;
  let condition: "NX" | "XX" | undefined;
  let expireAt: number | undefined;
  let keepTtl = false;
  let returnOld = false;
  let expireSeen = false;
  for (let index = 3; index < argv.length; index++) {
    const option = (argv[index] as string).toUpperCase();
    const next = argv[index + 1];
    if (option === "NX" && condition !== "XX") condition = "NX";
    else if (option === "XX" && condition !== "NX") condition = "XX";
    else if (option === "GET") returnOld = true;
    else if (option === "KEEPTTL" && !expireSeen) keepTtl = true;
    else if (
      (option === "EX" || option === "PX" || option === "EXAT" || option === "PXAT") &&
      !keepTtl &&
      !expireSeen &&
      next !== undefined
    ) {
      expireSeen = true;
      const amount = parseInt64(next);
      if (amount === undefined) throw replyError(ERR_NOT_INTEGER);
      if (amount <= 0n) throw replyError("ERR invalid expire time in 'set' command");
      const milliseconds = option === "EX" || option === "EXAT" ? amount * 1000n : amount;
      expireAt =
        option === "EXAT" || option === "PXAT"
          ? Number(milliseconds)
          : ctx.now + Number(milliseconds);
      index++;
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  const old = returnOld ? lookupTyped(ctx, key, "string") : undefined;
  const exists = ctx.db.get(key, ctx.now) !== undefined;
  if ((condition === "NX" && exists) || (condition === "XX" && !exists)) {
    return null;
  }
  ctx.db.set(key, { type: "string", value }, keepTtl);
  if (expireAt !== undefined) ctx.db.setExpireAt(key, expireAt);
  return returnOld ? (old ?? null) : OK;
}

function incrBy(ctx: CommandContext, key: string, delta: bigint): Reply {
  const current = lookupTyped(ctx, key, "string");
  let value = 0n;
  if (current !== undefined) {
    const parsed = parseInt64(current);
    if (parsed === undefined) throw replyError(ERR_NOT_INTEGER);
    value = parsed;
  }
  const next = value + delta;
  if (next < INT64_MIN || next > INT64_MAX) {
    throw replyError("ERR increment or decrement would overflow");
  }
  ctx.db.set(key, { type: "string", value: next.toString() });
  return Number(next);
}

function deltaArgument(text: string): bigint {
  const delta = parseInt64(text);
  if (delta === undefined) throw replyError(ERR_NOT_INTEGER);
  return delta;
}

/**
 * GETRANGE as Redis 7.0's `getrangeCommand` computes it: both bounds are parsed first, negative
 * ones count from the end, the end is clamped to the last byte, and an empty or inverted range
 * (or a missing key) is an empty string, never nil. Byte strings make `.length` the byte length.
 */
function getRange(ctx: CommandContext, argv: readonly string[]): Reply {
  let start = parseInt64(argv[2] as string);
  let end = parseInt64(argv[3] as string);
  if (start === undefined || end === undefined) throw replyError(ERR_NOT_INTEGER);
  const value = lookupTyped(ctx, argv[1] as string, "string") ?? "";
  const length = BigInt(value.length);
  if (start < 0n && end < 0n && start > end) return "";
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  if (start > end || length === 0n) return "";
  return value.slice(Number(start), Number(end) + 1);
}

/**
 * String commands of the fake (Redis 7.0 arities and replies).
 *
 * @example
 * ```ts
 * stringCommands.set?.arity; // -3
 * ```
 */
export const stringCommands: CommandTable = {
  get: { arity: 2, handler: get },
  set: { arity: -3, handler: set, write: true },
  setnx: {
    arity: 3,
    write: true,
    handler: (ctx, argv) => {
      if (ctx.db.get(argv[1] as string, ctx.now) !== undefined) return 0;
      ctx.db.set(argv[1] as string, { type: "string", value: argv[2] as string });
      return 1;
    },
  },
  getdel: {
    arity: 2,
    write: true,
    handler: (ctx, argv) => {
      const value = lookupTyped(ctx, argv[1] as string, "string");
      if (value === undefined) return null;
      ctx.db.delete(argv[1] as string, ctx.now);
      return value;
    },
  },
  mget: {
    arity: -2,
    handler: (ctx, argv) =>
      argv.slice(1).map((key) => {
        const entry = ctx.db.get(key, ctx.now);
        return entry?.type === "string" ? entry.value : null;
      }),
  },
  mset: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => {
      if (argv.length % 2 === 0)
        throw replyError("ERR wrong number of arguments for 'mset' command");
      for (let index = 1; index < argv.length; index += 2) {
        ctx.db.set(
          argv[index] as string,
          { type: "string", value: argv[index + 1] as string },
          false,
        );
      }
      return OK;
    },
  },
  incr: { arity: 2, write: true, handler: (ctx, argv) => incrBy(ctx, argv[1] as string, 1n) },
  decr: { arity: 2, write: true, handler: (ctx, argv) => incrBy(ctx, argv[1] as string, -1n) },
  incrby: {
    arity: 3,
    write: true,
    handler: (ctx, argv) => incrBy(ctx, argv[1] as string, deltaArgument(argv[2] as string)),
  },
  decrby: {
    arity: 3,
    write: true,
    handler: (ctx, argv) => incrBy(ctx, argv[1] as string, -deltaArgument(argv[2] as string)),
  },
  append: {
    arity: 3,
    write: true,
    handler: (ctx, argv) => {
      const value = (lookupTyped(ctx, argv[1] as string, "string") ?? "") + (argv[2] as string);
      ctx.db.set(argv[1] as string, { type: "string", value });
      return value.length;
    },
  },
  getrange: { arity: 4, handler: getRange },
  substr: { arity: 4, handler: getRange },
  strlen: {
    arity: 2,
    handler: (ctx, argv) => (lookupTyped(ctx, argv[1] as string, "string") ?? "").length,
  },
};
