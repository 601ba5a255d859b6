import {
  type CommandContext,
  type CommandTable,
  isOption,
  parseInt64,
  parseIntegerArgument,
} from "../CommandContext.js";
import { globToRegExp } from "../globToRegExp.js";
import {
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  OK,
  type Reply,
  replyError,
  StatusReply,
} from "../replyError.js";

/** EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (`expireGenericCommand` in Redis 7.0's `src/expire.c`). */
function expireGeneric(
  ctx: CommandContext,
  argv: readonly string[],
  name: string,
  unitMs: number,
  absolute: boolean,
): Reply {
  const key = argv[1] as string;
  const amount = parseInt64(argv[2] as string);
  if (amount === undefined) throw replyError(ERR_NOT_INTEGER);
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (const option of argv.slice(3)) {
    const upper = option.toUpperCase();
    if (upper === "NX") nx = true;
    else if (upper === "XX") xx = true;
    else if (upper === "GT") gt = true;
    else if (upper === "LT") lt = true;
    else throw replyError(`ERR Unsupported option ${option}`);
  }
  if (nx && (xx || gt || lt)) {
    throw replyError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) throw replyError("ERR GT and LT options at the same time are not compatible");
  const when = Number(amount) * unitMs + (absolute ? 0 : ctx.now);
  if (!Number.isSafeInteger(when)) throw replyError(`ERR invalid expire time in '${name}' command`);
  if (ctx.db.get(key, ctx.now) === undefined) return 0;
  const current = ctx.db.expireAt(key);
  if (nx && current !== undefined) return 0;
  if (xx && current === undefined) return 0;
  // A key without TTL counts as an infinite TTL for GT/LT.
  if (gt && (current === undefined || when <= current)) return 0;
  if (lt && current !== undefined && when >= current) return 0;
  if (when <= ctx.now) {
    ctx.db.delete(key, ctx.now);
    return 1;
  }
  ctx.db.setExpireAt(key, when);
  ctx.db.touch(key);
  return 1;
}

function ttl(ctx: CommandContext, key: string, milliseconds: boolean): Reply {
  if (ctx.db.get(key, ctx.now) === undefined) return -2;
  const at = ctx.db.expireAt(key);
  if (at === undefined) return -1;
  const remaining = Math.max(0, at - ctx.now);
  return milliseconds ? remaining : Math.floor((remaining + 500) / 1000);
}

function scan(ctx: CommandContext, argv: readonly string[]): Reply {
  const cursorValue = parseInt64(argv[1] as string);
  if (cursorValue === undefined || cursorValue < 0n) throw replyError("ERR invalid cursor");
  const cursor = Number(cursorValue);
  let pattern: RegExp | undefined;
  let count = 10;
  let type: string | undefined;
  for (let index = 2; index < argv.length; index += 2) {
    const value = argv[index + 1];
    if (value === undefined) throw replyError(ERR_SYNTAX);
    if (isOption(argv[index], "MATCH")) {
      pattern = value === "*" ? undefined : globToRegExp(value);
    } else if (isOption(argv[index], "COUNT")) {
      count = parseIntegerArgument(value);
      if (count < 1) throw replyError(ERR_SYNTAX);
    } else if (isOption(argv[index], "TYPE")) {
      type = value.toLowerCase();
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  // The cursor is a key-creation sequence number: keys alive for the whole scan are returned at
  // least once, the guarantee Redis documents for SCAN, however keys come and go meanwhile.
  const keys: Reply[] = [];
  let visited = 0;
  let next = 0;
  for (const [key, entry, seq] of ctx.db.liveKeys(ctx.now)) {
    if (seq < cursor) continue;
    if (visited === count) {
      next = seq;
      break;
    }
    visited++;
    if (pattern !== undefined && !pattern.test(key)) continue;
    if (type !== undefined && entry.type !== type) continue;
    keys.push(key);
  }
  return [String(next), keys];
}

/**
 * FLUSHDB/FLUSHALL take at most one of SYNC and ASYNC (`getFlushCommandFlags` in Redis 7.0's
 * `src/db.c`); the fake flushes at once either way.
 */
function checkFlushMode(argv: readonly string[]): void {
  if (
    argv.length > 2 ||
    (argv.length === 2 && !isOption(argv[1], "SYNC") && !isOption(argv[1], "ASYNC"))
  ) {
    throw replyError(ERR_SYNTAX);
  }
}

/**
 * Generic key commands of the fake, with expiry driven by the fake clock.
 *
 * @example
 * ```ts
 * keyCommands.expire?.arity; // -3
 * ```
 */
export const keyCommands: CommandTable = {
  del: {
    arity: -2,
    write: true,
    handler: (ctx, argv) => argv.slice(1).filter((key) => ctx.db.delete(key, ctx.now)).length,
  },
  unlink: {
    arity: -2,
    write: true,
    handler: (ctx, argv) => argv.slice(1).filter((key) => ctx.db.delete(key, ctx.now)).length,
  },
  exists: {
    arity: -2,
    handler: (ctx, argv) =>
      argv.slice(1).filter((key) => ctx.db.get(key, ctx.now) !== undefined).length,
  },
  touch: {
    arity: -2,
    handler: (ctx, argv) =>
      argv.slice(1).filter((key) => ctx.db.get(key, ctx.now) !== undefined).length,
  },
  type: {
    arity: 2,
    handler: (ctx, argv) => new StatusReply(ctx.db.get(argv[1] as string, ctx.now)?.type ?? "none"),
  },
  keys: {
    arity: 2,
    handler: (ctx, argv) => {
      const pattern = argv[1] === "*" ? undefined : globToRegExp(argv[1] as string);
      const keys: Reply[] = [];
      for (const [key] of ctx.db.liveKeys(ctx.now)) {
        if (pattern === undefined || pattern.test(key)) keys.push(key);
      }
      return keys;
    },
  },
  scan: { arity: -2, handler: scan },
  expire: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => expireGeneric(ctx, argv, "expire", 1000, false),
  },
  pexpire: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => expireGeneric(ctx, argv, "pexpire", 1, false),
  },
  expireat: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => expireGeneric(ctx, argv, "expireat", 1000, true),
  },
  pexpireat: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => expireGeneric(ctx, argv, "pexpireat", 1, true),
  },
  ttl: { arity: 2, handler: (ctx, argv) => ttl(ctx, argv[1] as string, false) },
  pttl: { arity: 2, handler: (ctx, argv) => ttl(ctx, argv[1] as string, true) },
  persist: {
    arity: 2,
    write: true,
    handler: (ctx, argv) => {
      const key = argv[1] as string;
      if (ctx.db.get(key, ctx.now) === undefined || ctx.db.expireAt(key) === undefined) return 0;
      ctx.db.setExpireAt(key, undefined);
      ctx.db.touch(key);
      return 1;
    },
  },
  rename: {
    arity: 3,
    write: true,
    handler: (ctx, argv) => {
      const source = argv[1] as string;
      const target = argv[2] as string;
      const entry = ctx.db.get(source, ctx.now);
      if (entry === undefined) throw replyError(ERR_NO_SUCH_KEY);
      if (source === target) return OK;
      const expireAt = ctx.db.expireAt(source);
      ctx.db.delete(source, ctx.now);
      ctx.db.delete(target, ctx.now);
      ctx.db.set(target, entry, false);
      ctx.db.setExpireAt(target, expireAt);
      return OK;
    },
  },
  dbsize: { arity: 1, handler: (ctx) => ctx.db.size(ctx.now) },
  flushdb: {
    arity: -1,
    write: true,
    handler: (ctx, argv) => {
      checkFlushMode(argv);
      ctx.db.flush();
      return OK;
    },
  },
  flushall: {
    arity: -1,
    write: true,
    handler: (ctx, argv) => {
      checkFlushMode(argv);
      ctx.server.flushAll();
      return OK;
    },
  },
};
