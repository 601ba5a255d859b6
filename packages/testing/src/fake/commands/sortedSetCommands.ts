import {
  type CommandContext,
  type CommandTable,
  deleteIfEmpty,
  isOption,
  lookupTyped,
  parseIntegerArgument,
} from "../CommandContext.js";
import { formatDouble, parseDouble } from "../formatDouble.js";
import {
  type CommandReply,
  ERR_SYNTAX,
  ProtocolReply,
  type Reply,
  replyError,
} from "../replyError.js";

function sortedMembers(zset: Map<string, number>): [string, number][] {
  return [...zset].sort((left, right) =>
    left[1] !== right[1]
      ? left[1] - right[1]
      : left[0] < right[0]
        ? -1
        : left[0] > right[0]
          ? 1
          : 0,
  );
}

function zadd(ctx: CommandContext, argv: readonly string[]): Reply {
  let index = 2;
  let nx = false;
  let xx = false;
  let ch = false;
  let gt = false;
  let lt = false;
  let incr = false;
  for (; index < argv.length; index++) {
    const option = (argv[index] as string).toUpperCase();
    if (option === "NX") nx = true;
    else if (option === "XX") xx = true;
    else if (option === "CH") ch = true;
    else if (option === "GT") gt = true;
    else if (option === "LT") lt = true;
    else if (option === "INCR") incr = true;
    else break;
  }
  const pairs = argv.length - index;
  if (pairs === 0 || pairs % 2 !== 0) throw replyError(ERR_SYNTAX);
  if (nx && xx) {
    throw replyError("ERR XX and NX options at the same time are not compatible");
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    throw replyError("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && pairs > 2) {
    throw replyError("ERR INCR option supports a single increment-element pair");
  }
  const scores: number[] = [];
  for (let position = index; position < argv.length; position += 2) {
    const score = parseDouble(argv[position] as string);
    if (score === undefined) throw replyError("ERR value is not a valid float");
    scores.push(score);
  }
  const key = argv[1] as string;
  let zset = lookupTyped(ctx, key, "zset");
  if (zset === undefined) {
    if (xx) return incr ? null : 0;
    zset = new Map();
    ctx.db.set(key, { type: "zset", value: zset });
  }
  let added = 0;
  let changed = 0;
  let incrResult: number | null = null;
  for (let position = index, pair = 0; position < argv.length; position += 2, pair++) {
    const member = argv[position + 1] as string;
    let score = scores[pair] as number;
    const current = zset.get(member);
    if (current === undefined) {
      if (xx) continue;
      zset.set(member, score);
      added++;
      incrResult = score;
      continue;
    }
    if (nx) continue;
    if (incr) {
      score = current + score;
      if (Number.isNaN(score)) throw replyError("ERR resulting score is not a number (NaN)");
    }
    if ((gt && score <= current) || (lt && score >= current)) continue;
    incrResult = score;
    if (score !== current) {
      zset.set(member, score);
      changed++;
    }
  }
  deleteIfEmpty(ctx, key, zset.size);
  if (incr) return incrResult === null ? null : formatDouble(incrResult);
  return ch ? added + changed : added;
}

function zrange(ctx: CommandContext, argv: readonly string[]): CommandReply {
  let withScores = false;
  let reverse = false;
  for (let index = 4; index < argv.length; index++) {
    if (isOption(argv[index], "WITHSCORES")) withScores = true;
    else if (isOption(argv[index], "REV")) reverse = true;
    else throw replyError(ERR_SYNTAX);
  }
  let start = parseIntegerArgument(argv[2] as string);
  let stop = parseIntegerArgument(argv[3] as string);
  const zset = lookupTyped(ctx, argv[1] as string, "zset");
  if (zset === undefined) return [];
  const members = sortedMembers(zset);
  if (reverse) members.reverse();
  const length = members.length;
  if (start < 0) start = length + start;
  if (stop < 0) stop = length + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return [];
  if (stop >= length) stop = length - 1;
  const reply: Reply[] = [];
  if (!withScores) {
    for (const [member] of members.slice(start, stop + 1)) reply.push(member);
    return reply;
  }
  // RESP2: member, score, member, score...; RESP3: one [member, score] array per member.
  const pairs: Reply[] = [];
  for (const [member, score] of members.slice(start, stop + 1)) {
    const text = formatDouble(score);
    reply.push(member, text);
    pairs.push([member, text]);
  }
  return new ProtocolReply(reply, pairs);
}

/**
 * Sorted-set commands of the fake (ZRANGE by index only).
 *
 * @example
 * ```ts
 * sortedSetCommands.zadd?.arity; // -4
 * ```
 */
export const sortedSetCommands: CommandTable = {
  zadd: { arity: -4, write: true, handler: zadd },
  zrange: { arity: -4, handler: zrange },
  zrem: {
    arity: -3,
    write: true,
    handler: (ctx, argv) => {
      const key = argv[1] as string;
      const zset = lookupTyped(ctx, key, "zset");
      if (zset === undefined) return 0;
      let removed = 0;
      for (const member of argv.slice(2)) if (zset.delete(member)) removed++;
      if (removed > 0) deleteIfEmpty(ctx, key, zset.size);
      return removed;
    },
  },
  zscore: {
    arity: 3,
    handler: (ctx, argv) => {
      const score = lookupTyped(ctx, argv[1] as string, "zset")?.get(argv[2] as string);
      return score === undefined ? null : formatDouble(score);
    },
  },
  zcard: {
    arity: 2,
    handler: (ctx, argv) => lookupTyped(ctx, argv[1] as string, "zset")?.size ?? 0,
  },
};
