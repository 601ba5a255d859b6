import {
  type BlockRequest,
  type CommandContext,
  isOption,
  lookupTyped,
  parseInt64,
  parseIntegerArgument,
} from "../CommandContext.js";
import type { ConsumerGroup, PendingEntry, RedisStream, StreamConsumer } from "../RedisStream.js";
import {
  type CommandReply,
  ERR_SYNTAX,
  ProtocolReply,
  type Reply,
  replyError,
} from "../replyError.js";
import {
  formatStreamId,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  parseStrictStreamId,
  type StreamId,
} from "../StreamId.js";
import {
  entryReply,
  findOrCreateConsumer,
  parseIntervalEnd,
  parseIntervalStart,
} from "./streamReplies.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

// The stream commands that read entries: XRANGE/XREVRANGE, XREAD/XREADGROUP, XLEN.

export function xrangeGeneric(
  ctx: CommandContext,
  argv: readonly string[],
  reverse: boolean,
): Reply {
  const startId = parseIntervalStart((reverse ? argv[3] : argv[2]) as string);
  const endId = parseIntervalEnd((reverse ? argv[2] : argv[3]) as string);
  let count = -1;
  for (let index = 4; index < argv.length; index++) {
    if (isOption(argv[index], "COUNT") && index + 1 < argv.length) {
      count = parseIntegerArgument(argv[index + 1] as string);
      if (count < 0) count = 0;
      index++;
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  const stream = lookupTyped(ctx, argv[1] as string, "stream");
  if (stream === undefined) return [];
  if (count === 0) return null;
  return stream.range(startId, endId, count === -1 ? 0 : count, reverse).map(entryReply);
}

/**
 * Serves one stream of an XREAD/XREADGROUP (`streamReplyWithRange` with a group, or
 * `streamReplyWithRangeFromConsumerPEL` for history). Entries strictly after `after`.
 *
 * @example
 * ```ts
 * const entries = serveStreamRead(ctx, stream, lastSeen, 10, undefined);
 * ```
 */
export function serveStreamRead(
  ctx: CommandContext,
  stream: RedisStream,
  after: StreamId,
  count: number,
  group:
    | { group: ConsumerGroup; consumer: StreamConsumer; noack: boolean; history: boolean }
    | undefined,
): Reply[] {
  if (after === MAX_STREAM_ID) return [];
  const start = after + 1n;
  if (group?.history) {
    const result: Reply[] = [];
    for (const [id, pending] of group.consumer.pending.entriesFrom(start)) {
      if (count > 0 && result.length >= count) break;
      const entry = stream.get(id);
      if (entry === undefined) {
        // Deleted while pending: Redis still lists the id, with a null field list.
        result.push([formatStreamId(id), null]);
      } else {
        pending.deliveryTime = ctx.now;
        pending.deliveryCount++;
        result.push(entryReply(entry));
      }
    }
    return result;
  }
  const entries = stream.range(start, MAX_STREAM_ID, count, false);
  if (group === undefined) return entries.map(entryReply);
  const { group: consumerGroup, consumer, noack } = group;
  const result: Reply[] = [];
  for (const entry of entries) {
    stream.advanceGroup(consumerGroup, entry.id);
    result.push(entryReply(entry));
    if (noack) continue;
    const existing = consumerGroup.pending.get(entry.id, entry.idText);
    if (existing === undefined) {
      const pending: PendingEntry = {
        id: entry.id,
        consumer,
        deliveryTime: ctx.now,
        deliveryCount: 1,
      };
      consumerGroup.pending.set(entry.id, pending, entry.idText);
      consumer.pending.set(entry.id, pending, entry.idText);
    } else {
      // Already pending (the group was moved back with SETID): reassign, as Redis does.
      existing.consumer.pending.delete(entry.id, entry.idText);
      existing.consumer = consumer;
      existing.deliveryTime = ctx.now;
      existing.deliveryCount = 1;
      consumer.pending.set(entry.id, existing, entry.idText);
    }
  }
  return result;
}

export function xread(ctx: CommandContext, argv: readonly string[]): CommandReply | BlockRequest {
  const isGroupRead = (argv[0] as string).length === 10;
  let timeout = -1;
  let count = 0;
  let streamsIndex = 0;
  let streamCount = 0;
  let groupName: string | undefined;
  let consumerName: string | undefined;
  let noack = false;
  for (let index = 1; index < argv.length; index++) {
    const moreArgs = argv.length - index - 1;
    const option = argv[index] as string;
    if (isOption(option, "BLOCK") && moreArgs > 0) {
      if (ctx.inScript) {
        throw replyError(`ERR ${argv[0]} command is not allowed with BLOCK option from scripts`);
      }
      index++;
      const value = parseInt64(argv[index] as string);
      if (value === undefined) throw replyError("ERR timeout is not an integer or out of range");
      if (value < 0n) throw replyError("ERR timeout is negative");
      timeout = Number(value);
    } else if (isOption(option, "COUNT") && moreArgs > 0) {
      index++;
      count = parseIntegerArgument(argv[index] as string);
      if (count < 0) count = 0;
    } else if (isOption(option, "STREAMS") && moreArgs > 0) {
      streamsIndex = index + 1;
      streamCount = argv.length - streamsIndex;
      if (streamCount % 2 !== 0) {
        throw replyError(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
      }
      streamCount /= 2;
      break;
    } else if (isOption(option, "GROUP") && moreArgs >= 2) {
      if (!isGroupRead) {
        throw replyError(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      groupName = argv[index + 1];
      consumerName = argv[index + 2];
      index += 2;
    } else if (isOption(option, "NOACK")) {
      if (!isGroupRead) {
        throw replyError(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      noack = true;
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  if (streamsIndex === 0) throw replyError(ERR_SYNTAX);
  if (isGroupRead && groupName === undefined) {
    throw replyError("ERR Missing GROUP option for XREADGROUP");
  }
  const keys = argv.slice(streamsIndex, streamsIndex + streamCount);
  const ids: StreamId[] = [];
  const groups: (ConsumerGroup | undefined)[] = [];
  const newOnly: boolean[] = [];
  for (let index = 0; index < streamCount; index++) {
    const key = keys[index] as string;
    const idText = argv[streamsIndex + streamCount + index] as string;
    const stream = lookupTyped(ctx, key, "stream");
    let group: ConsumerGroup | undefined;
    if (groupName !== undefined) {
      group = stream?.groups.get(groupName);
      if (group === undefined) {
        throw replyError(
          `NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`,
        );
      }
    }
    groups.push(group);
    if (idText === "$") {
      if (isGroupRead) {
        throw replyError(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      ids.push(stream?.lastId ?? MIN_STREAM_ID);
      newOnly.push(false);
    } else if (idText === ">") {
      if (!isGroupRead) {
        throw replyError(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
      }
      ids.push(MAX_STREAM_ID);
      newOnly.push(true);
    } else {
      ids.push(parseStrictStreamId(idText));
      newOnly.push(false);
    }
  }
  const reply: Reply[] = [];
  const flat: Reply[] = [];
  for (let index = 0; index < streamCount; index++) {
    const key = keys[index] as string;
    const stream = lookupTyped(ctx, key, "stream");
    if (stream === undefined) continue;
    const group = groups[index];
    let after = ids[index] as StreamId;
    let serve = false;
    let history = false;
    if (group !== undefined) {
      if (!newOnly[index]) {
        serve = true;
        history = true;
      } else if (stream.length > 0) {
        const last = stream.lastEntry();
        if (last !== undefined && last.id > group.lastId) {
          serve = true;
          after = group.lastId;
        }
      }
    } else if (stream.length > 0) {
      const last = stream.lastEntry();
      serve = last !== undefined && last.id > after;
    }
    if (!serve) continue;
    const consumer =
      group === undefined ? undefined : findOrCreateConsumer(ctx, group, consumerName as string);
    const entries = serveStreamRead(
      ctx,
      stream,
      after,
      count,
      group === undefined || consumer === undefined
        ? undefined
        : { group, consumer, noack, history },
    );
    reply.push([key, entries]);
    flat.push(key, entries);
  }
  // RESP2: one [key, entries] array per stream; RESP3: a map, key → entries.
  if (reply.length > 0) return new ProtocolReply(reply, flat);
  if (timeout !== -1) {
    if (ctx.denyBlocking) return null;
    return {
      kind: "block",
      keys,
      ids,
      timeoutMs: timeout,
      // Without COUNT a woken reader gets at most 1000 entries (XREAD_BLOCKED_DEFAULT_COUNT).
      count: count || 1000,
      ...(groupName === undefined
        ? {}
        : { group: { name: groupName, consumer: consumerName as string, noack } }),
    };
  }
  return null;
}

export function xlen(ctx: CommandContext, argv: readonly string[]): Reply {
  return lookupTyped(ctx, argv[1] as string, "stream")?.length ?? 0;
}
