import {
  type CommandContext,
  isOption,
  lookupTyped,
  parseInt64,
  parseIntegerArgument,
} from "../CommandContext.js";
import type { PendingEntry, StreamConsumer } from "../RedisStream.js";
import { ERR_SYNTAX, type Reply, replyError } from "../replyError.js";
import {
  formatStreamId,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  parseStrictStreamId,
  type StreamId,
} from "../StreamId.js";
import {
  byName,
  entryReply,
  findOrCreateConsumer,
  parseIntervalEnd,
  parseIntervalStart,
} from "./streamReplies.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

// Pending entries: XPENDING lists them, XCLAIM and XAUTOCLAIM hand them to another consumer.

export function xpending(ctx: CommandContext, argv: readonly string[]): Reply {
  const summary = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) throw replyError(ERR_SYNTAX);
  let start = MIN_STREAM_ID;
  let end = MAX_STREAM_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (argv.length >= 6) {
    let startIndex = 3;
    if (isOption(argv[3], "IDLE")) {
      minIdle = parseIntegerArgument(argv[4] as string);
      if (argv.length < 8) throw replyError(ERR_SYNTAX);
      startIndex += 2;
    }
    count = parseIntegerArgument(argv[startIndex + 2] as string);
    if (count < 0) count = 0;
    start = parseIntervalStart(argv[startIndex] as string);
    end = parseIntervalEnd(argv[startIndex + 1] as string);
    if (startIndex + 3 < argv.length) consumerName = argv[startIndex + 3];
  }
  const key = argv[1] as string;
  const groupName = argv[2] as string;
  const stream = lookupTyped(ctx, key, "stream");
  const group = stream?.groups.get(groupName);
  if (group === undefined) {
    throw replyError(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  }
  if (summary) {
    if (group.pending.size === 0) return [0, null, null, null];
    const consumers: Reply[] = [...group.consumers.values()]
      .filter((consumer) => consumer.pending.size > 0)
      .sort(byName)
      .map((consumer) => [consumer.name, String(consumer.pending.size)]);
    return [
      group.pending.size,
      formatStreamId(group.pending.firstKey() as StreamId),
      formatStreamId(group.pending.lastKey() as StreamId),
      consumers,
    ];
  }
  let pel = group.pending;
  if (consumerName !== undefined) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) return [];
    pel = consumer.pending;
  }
  const result: Reply[] = [];
  if (count === 0) return result;
  for (const [id, pending] of pel.entriesFrom(start)) {
    if (id > end) break;
    const idle = ctx.now - pending.deliveryTime;
    if (minIdle && idle < minIdle) continue;
    result.push([
      formatStreamId(id),
      pending.consumer.name,
      Math.max(0, idle),
      pending.deliveryCount,
    ]);
    if (result.length === count) break;
  }
  return result;
}

function claimTo(pending: PendingEntry, consumer: StreamConsumer): void {
  if (pending.consumer !== consumer) {
    pending.consumer.pending.delete(pending.id);
    consumer.pending.set(pending.id, pending);
    pending.consumer = consumer;
  }
}

export function xclaim(ctx: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1] as string;
  const groupName = argv[2] as string;
  const stream = lookupTyped(ctx, key, "stream");
  const group = stream?.groups.get(groupName);
  if (stream === undefined || group === undefined) {
    throw replyError(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  }
  let minIdle = parseIntegerArgument(
    argv[4] as string,
    "ERR Invalid min-idle-time argument for XCLAIM",
  );
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let index = 5;
  for (; index < argv.length; index++) {
    try {
      ids.push(parseStrictStreamId(argv[index] as string));
    } catch {
      break;
    }
  }
  const now = ctx.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId = MIN_STREAM_ID;
  for (; index < argv.length; index++) {
    const moreArgs = argv.length - 1 - index;
    const option = argv[index] as string;
    if (isOption(option, "FORCE")) {
      force = true;
    } else if (isOption(option, "JUSTID")) {
      justId = true;
    } else if (isOption(option, "IDLE") && moreArgs > 0) {
      index++;
      deliveryTime =
        now -
        parseIntegerArgument(argv[index] as string, "ERR Invalid IDLE option argument for XCLAIM");
    } else if (isOption(option, "TIME") && moreArgs > 0) {
      index++;
      deliveryTime = parseIntegerArgument(
        argv[index] as string,
        "ERR Invalid TIME option argument for XCLAIM",
      );
    } else if (isOption(option, "RETRYCOUNT") && moreArgs > 0) {
      index++;
      retryCount = parseIntegerArgument(
        argv[index] as string,
        "ERR Invalid RETRYCOUNT option argument for XCLAIM",
      );
    } else if (isOption(option, "LASTID") && moreArgs > 0) {
      index++;
      lastId = parseStrictStreamId(argv[index] as string);
    } else {
      throw replyError(`ERR Unrecognized XCLAIM option '${option}'`);
    }
  }
  if (lastId > group.lastId) group.lastId = lastId;
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else {
    deliveryTime = now;
  }
  let consumer: StreamConsumer | undefined;
  const name = argv[3] as string;
  const result: Reply[] = [];
  for (const id of ids) {
    let pending = group.pending.get(id);
    const entry = stream.get(id);
    if (entry === undefined) {
      // Claiming a deleted entry drops it from the PEL.
      if (pending !== undefined) {
        group.pending.delete(id);
        pending.consumer.pending.delete(id);
      }
      continue;
    }
    let forced = false;
    if (force && pending === undefined) {
      forced = true;
      consumer ??= findOrCreateConsumer(ctx, group, name);
      pending = { id, consumer, deliveryTime: now, deliveryCount: 1 };
      group.pending.set(id, pending);
      consumer.pending.set(id, pending);
    }
    if (pending === undefined) continue;
    if (!forced && minIdle && now - pending.deliveryTime < minIdle) continue;
    consumer ??= findOrCreateConsumer(ctx, group, name);
    claimTo(pending, consumer);
    pending.deliveryTime = deliveryTime;
    if (retryCount >= 0) pending.deliveryCount = retryCount;
    else if (!justId) pending.deliveryCount++;
    result.push(justId ? entry.idText : entryReply(entry));
  }
  ctx.db.touch(key);
  return result;
}

export function xautoclaim(ctx: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1] as string;
  const groupName = argv[2] as string;
  let minIdle = parseIntegerArgument(
    argv[4] as string,
    "ERR Invalid min-idle-time argument for XAUTOCLAIM",
  );
  if (minIdle < 0) minIdle = 0;
  const start = parseIntervalStart(argv[5] as string);
  let count = 100;
  let justId = false;
  for (let index = 6; index < argv.length; index++) {
    const moreArgs = argv.length - 1 - index;
    if (isOption(argv[index], "COUNT") && moreArgs > 0) {
      const value = parseInt64(argv[index + 1] as string);
      const maxCount = Math.floor(Number(2n ** 63n - 1n) / 16);
      if (value === undefined || value < 1n || value > BigInt(maxCount)) {
        throw replyError("ERR COUNT must be > 0");
      }
      count = Number(value);
      index++;
    } else if (isOption(argv[index], "JUSTID")) {
      justId = true;
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  const stream = lookupTyped(ctx, key, "stream");
  const group = stream?.groups.get(groupName);
  if (stream === undefined || group === undefined) {
    throw replyError(`NOGROUP No such key '${key}' or consumer group '${groupName}'`);
  }
  let attempts = count * 10;
  const now = ctx.now;
  const name = argv[3] as string;
  let consumer: StreamConsumer | undefined;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  const iterator = group.pending.entriesFrom(start);
  let next = iterator.next();
  while (attempts-- > 0 && count > 0 && !next.done) {
    const [id, pending] = next.value;
    next = iterator.next();
    const entry = stream.get(id);
    if (entry === undefined) {
      group.pending.delete(id);
      pending.consumer.pending.delete(id);
      deleted.push(formatStreamId(id));
      // Deleted ids take room in the reply, so they count against COUNT too.
      count--;
      continue;
    }
    if (minIdle && now - pending.deliveryTime < minIdle) continue;
    consumer ??= findOrCreateConsumer(ctx, group, name);
    claimTo(pending, consumer);
    pending.deliveryTime = now;
    if (!justId) pending.deliveryCount++;
    claimed.push(justId ? entry.idText : entryReply(entry));
    count--;
  }
  const cursor = next.done ? "0-0" : formatStreamId(next.value[0]);
  ctx.db.touch(key);
  return [cursor, claimed, deleted];
}
