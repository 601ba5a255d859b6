import type { CommandContext } from "../CommandContext.js";
import type { ConsumerGroup, StreamConsumer, StreamEntry } from "../RedisStream.js";
import { type Reply, replyError } from "../replyError.js";
import { SortedIdMap } from "../SortedIdMap.js";
import {
  MAX_SEQ,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  parseIntervalStreamId,
  type StreamId,
} from "../StreamId.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

// What several stream commands share: entry replies, rax name order, interval bounds, consumers.

export function entryReply(entry: StreamEntry): Reply {
  return [entry.idText, entry.fields.slice()];
}

export function byName<ItemType extends { name: string }>(left: ItemType, right: ItemType): number {
  // rax trees iterate keys in memcmp order.
  return left.name < right.name ? -1 : left.name > right.name ? 1 : 0;
}

/** An interval's start as an inclusive id: `(id` is the next id (`streamParseIntervalIDOrReply`). */
export function parseIntervalStart(text: string): StreamId {
  const start = parseIntervalStreamId(text, 0n);
  if (!start.exclusive) return start.id;
  if (start.id === MAX_STREAM_ID) throw replyError("ERR invalid start ID for the interval");
  return start.id + 1n;
}

/** An interval's end as an inclusive id: `(id` is the previous id. */
export function parseIntervalEnd(text: string): StreamId {
  const end = parseIntervalStreamId(text, MAX_SEQ);
  if (!end.exclusive) return end.id;
  if (end.id === MIN_STREAM_ID) throw replyError("ERR invalid end ID for the interval");
  return end.id - 1n;
}

export function findOrCreateConsumer(
  ctx: CommandContext,
  group: ConsumerGroup,
  name: string,
): StreamConsumer {
  let consumer = group.consumers.get(name);
  if (consumer === undefined) {
    consumer = { name, seenTime: ctx.now, pending: new SortedIdMap() };
    group.consumers.set(name, consumer);
  } else {
    consumer.seenTime = ctx.now;
  }
  return consumer;
}
