import { type CommandTable, deleteIfEmpty, lookupTyped, parseInt64 } from "../CommandContext.js";
import type { Reply } from "../replyError.js";

const SET_MAX_INTSET_ENTRIES = 512;

/**
 * SMEMBERS order as Redis 7.0 produces it: a set of only integers (up to
 * `set-max-intset-entries`, 512) is an intset and comes back sorted numerically; other sets are
 * hash tables with no defined order, for which insertion order is as good as any.
 */
function membersReply(set: Set<string>): Reply[] {
  if (set.size <= SET_MAX_INTSET_ENTRIES) {
    const numbers: bigint[] = [];
    for (const member of set) {
      const value = parseInt64(member);
      if (value === undefined) return [...set];
      numbers.push(value);
    }
    numbers.sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
    return numbers.map(String);
  }
  return [...set];
}

/**
 * Set commands of the fake.
 *
 * @example
 * ```ts
 * setCommands.sadd?.arity; // -3
 * ```
 */
export const setCommands: CommandTable = {
  sadd: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => {
      const key = argv[1] as string;
      let set = lookupTyped(ctx, key, "set");
      if (set === undefined) {
        set = new Set();
        ctx.db.set(key, { type: "set", value: set });
      }
      let added = 0;
      for (const member of argv.slice(2)) {
        if (!set.has(member)) {
          set.add(member);
          added++;
        }
      }
      ctx.db.touch(key);
      return added;
    },
  },
  srem: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => {
      const key = argv[1] as string;
      const set = lookupTyped(ctx, key, "set");
      if (set === undefined) return 0;
      let removed = 0;
      for (const member of argv.slice(2)) if (set.delete(member)) removed++;
      if (removed > 0) deleteIfEmpty(ctx, key, set.size);
      return removed;
    },
  },
  smembers: {
    arity: 2,
    handler: (ctx, argv) => membersReply(lookupTyped(ctx, argv[1] as string, "set") ?? new Set()),
  },
  sismember: {
    arity: 3,
    handler: (ctx, argv) =>
      lookupTyped(ctx, argv[1] as string, "set")?.has(argv[2] as string) ? 1 : 0,
  },
  scard: {
    arity: 2,
    handler: (ctx, argv) => lookupTyped(ctx, argv[1] as string, "set")?.size ?? 0,
  },
};
