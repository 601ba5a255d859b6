import {
  type CommandContext,
  type CommandTable,
  deleteIfEmpty,
  lookupTyped,
  parseInt64,
} from "../CommandContext.js";
import { arityError, ERR_NOT_INTEGER, OK, type Reply, replyError } from "../replyError.js";

function hashFor(ctx: CommandContext, key: string): Map<string, string> {
  let hash = lookupTyped(ctx, key, "hash");
  if (hash === undefined) {
    hash = new Map();
    ctx.db.set(key, { type: "hash", value: hash });
  }
  return hash;
}

function hset(ctx: CommandContext, argv: readonly string[], name: string): Reply {
  if (argv.length % 2 === 1) throw replyError(arityError(name));
  const key = argv[1] as string;
  const hash = hashFor(ctx, key);
  let added = 0;
  for (let index = 2; index < argv.length; index += 2) {
    const field = argv[index] as string;
    if (!hash.has(field)) added++;
    hash.set(field, argv[index + 1] as string);
  }
  ctx.db.touch(key);
  return name === "hmset" ? OK : added;
}

/**
 * Hash commands of the fake. Field order is insertion order, as Redis 7.0's listpack encoding
 * of small hashes gives (large real hashes have no defined order).
 *
 * @example
 * ```ts
 * hashCommands.hgetall?.arity; // 2
 * ```
 */
export const hashCommands: CommandTable = {
  hset: { arity: -4, write: true, handler: (ctx, argv) => hset(ctx, argv, "hset") },
  hmset: { arity: -4, write: true, handler: (ctx, argv) => hset(ctx, argv, "hmset") },
  hsetnx: {
    arity: 4,
    write: true,
    handler: (ctx, argv) => {
      const existing = lookupTyped(ctx, argv[1] as string, "hash");
      if (existing?.has(argv[2] as string)) return 0;
      const hash = hashFor(ctx, argv[1] as string);
      hash.set(argv[2] as string, argv[3] as string);
      ctx.db.touch(argv[1] as string);
      return 1;
    },
  },
  hget: {
    arity: 3,
    handler: (ctx, argv) =>
      lookupTyped(ctx, argv[1] as string, "hash")?.get(argv[2] as string) ?? null,
  },
  hmget: {
    arity: -3,
    handler: (ctx, argv) => {
      const hash = lookupTyped(ctx, argv[1] as string, "hash");
      return argv.slice(2).map((field) => hash?.get(field) ?? null);
    },
  },
  hgetall: {
    arity: 2,
    handler: (ctx, argv) => {
      const hash = lookupTyped(ctx, argv[1] as string, "hash");
      const reply: Reply[] = [];
      if (hash !== undefined) for (const [field, value] of hash) reply.push(field, value);
      return reply;
    },
  },
  hdel: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => {
      const key = argv[1] as string;
      const hash = lookupTyped(ctx, key, "hash");
      if (hash === undefined) return 0;
      let removed = 0;
      for (const field of argv.slice(2)) if (hash.delete(field)) removed++;
      if (removed > 0) deleteIfEmpty(ctx, key, hash.size);
      return removed;
    },
  },
  hincrby: {
    arity: 4,
    write: true,
    handler: (ctx, argv) => {
      const key = argv[1] as string;
      const delta = parseInt64(argv[3] as string);
      if (delta === undefined) throw replyError(ERR_NOT_INTEGER);
      const existing = lookupTyped(ctx, key, "hash")?.get(argv[2] as string);
      let value = 0n;
      if (existing !== undefined) {
        const parsed = parseInt64(existing);
        if (parsed === undefined) throw replyError("ERR hash value is not an integer");
        value = parsed;
      }
      const next = value + delta;
      if (next < -(2n ** 63n) || next > 2n ** 63n - 1n) {
        throw replyError("ERR increment or decrement would overflow");
      }
      hashFor(ctx, key).set(argv[2] as string, next.toString());
      ctx.db.touch(key);
      return Number(next);
    },
  },
  hlen: {
    arity: 2,
    handler: (ctx, argv) => lookupTyped(ctx, argv[1] as string, "hash")?.size ?? 0,
  },
  hexists: {
    arity: 3,
    handler: (ctx, argv) =>
      lookupTyped(ctx, argv[1] as string, "hash")?.has(argv[2] as string) ? 1 : 0,
  },
  hkeys: {
    arity: 2,
    handler: (ctx, argv) => [...(lookupTyped(ctx, argv[1] as string, "hash")?.keys() ?? [])],
  },
  hvals: {
    arity: 2,
    handler: (ctx, argv) => [...(lookupTyped(ctx, argv[1] as string, "hash")?.values() ?? [])],
  },
};
