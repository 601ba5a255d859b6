import {
  type BlockRequest,
  type CommandContext,
  type CommandTable,
  isOption,
  lookupTyped,
  parseInt64,
  parseIntegerArgument,
} from "../CommandContext.js";
import {
  type ConsumerGroup,
  type PendingEntry,
  RedisStream,
  type StreamConsumer,
  type StreamEntry,
  type StreamTrimArgs,
} from "../RedisStream.js";
import {
  arityError,
  type CommandReply,
  ERR_NO_SUCH_KEY,
  ERR_SYNTAX,
  OK,
  ProtocolReply,
  type Reply,
  replyError,
  subcommandSyntaxError,
} from "../replyError.js";
import { SortedIdMap } from "../SortedIdMap.js";
import {
  formatStreamId,
  MAX_SEQ,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  parseIntervalStreamId,
  parseStreamIdArgument,
  parseStrictStreamId,
  type StreamId,
  streamIdMs,
  streamIdSeq,
} from "../StreamId.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

function entryReply(entry: StreamEntry): Reply {
  return [entry.idText, entry.fields.slice()];
}

function byName<ItemType extends { name: string }>(left: ItemType, right: ItemType): number {
  // rax trees iterate keys in memcmp order.
  return left.name < right.name ? -1 : left.name > right.name ? 1 : 0;
}

/** `streamParseAddOrTrimArgsOrReply`; returns the trim args and the index of the XADD id. */
function parseAddOrTrimArgs(
  argv: readonly string[],
  xadd: boolean,
): {
  trim: StreamTrimArgs | undefined;
  idIndex: number;
  noMkStream: boolean;
  explicit: { id: StreamId; seqGiven: boolean } | undefined;
} {
  let strategy: "maxlen" | "minid" | undefined;
  let approx = false;
  let maxLen = 0;
  let minId = MIN_STREAM_ID;
  let limit = 0;
  let limitGiven = false;
  let noMkStream = false;
  let explicit: { id: StreamId; seqGiven: boolean } | undefined;
  let index = 2;
  for (; index < argv.length; index++) {
    const moreArgs = argv.length - 1 - index;
    const option = argv[index] as string;
    if (xadd && option === "*") break;
    const isMaxLen = isOption(option, "MAXLEN");
    if ((isMaxLen || isOption(option, "MINID")) && moreArgs > 0) {
      if (strategy !== undefined) {
        throw replyError(
          "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        );
      }
      approx = false;
      const next = argv[index + 1];
      if (moreArgs >= 2 && next === "~") {
        approx = true;
        index++;
      } else if (moreArgs >= 2 && next === "=") {
        index++;
      }
      if (isMaxLen) {
        maxLen = parseIntegerArgument(argv[index + 1] as string);
        if (maxLen < 0) throw replyError("ERR The MAXLEN argument must be >= 0.");
        strategy = "maxlen";
      } else {
        minId = parseStrictStreamId(argv[index + 1] as string);
        strategy = "minid";
      }
      index++;
    } else if (isOption(option, "LIMIT") && moreArgs > 0) {
      limit = parseIntegerArgument(argv[index + 1] as string);
      if (limit < 0) throw replyError("ERR The LIMIT argument must be >= 0.");
      limitGiven = true;
      index++;
    } else if (xadd && isOption(option, "NOMKSTREAM")) {
      noMkStream = true;
    } else if (xadd) {
      // The id is parsed inside the option loop, so a bad id is reported before option errors.
      explicit = parseStreamIdArgument(option, { strict: true, allowSeqWildcard: true });
      break;
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  if (limit && strategy === undefined) {
    throw replyError(
      "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
  }
  if (!xadd && strategy === undefined) {
    throw replyError("ERR syntax error, XTRIM must be called with a trimming strategy");
  }
  if (limitGiven) {
    if (!approx) {
      throw replyError("ERR syntax error, LIMIT cannot be used without the special ~ option");
    }
  } else {
    // Without LIMIT, `~` trimming does at most 100 nodes of work (100 * stream-node-max-entries).
    limit = approx ? 10_000 : 0;
  }
  return {
    trim: strategy === undefined ? undefined : { strategy, maxLen, minId, approx, limit },
    idIndex: index,
    noMkStream,
    explicit,
  };
}

function xadd(ctx: CommandContext, argv: readonly string[]): Reply {
  const { trim, idIndex, noMkStream, explicit } = parseAddOrTrimArgs(argv, true);
  const fieldCount = argv.length - idIndex - 1;
  if (fieldCount < 2 || fieldCount % 2 === 1) throw replyError(arityError("xadd"));
  if (explicit?.seqGiven && explicit.id === MIN_STREAM_ID) {
    throw replyError("ERR The ID specified in XADD must be greater than 0-0");
  }
  const key = argv[1] as string;
  let stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined) {
    if (noMkStream) return null;
    stream = new RedisStream();
    ctx.db.set(key, { type: "stream", value: stream });
  }
  if (stream.lastId === MAX_STREAM_ID) {
    throw replyError("ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  let id: StreamId;
  if (explicit === undefined) {
    id = stream.nextId(ctx.now);
  } else if (explicit.seqGiven) {
    id = explicit.id;
  } else if (streamIdMs(explicit.id) === streamIdMs(stream.lastId)) {
    if (streamIdSeq(stream.lastId) === MAX_SEQ) {
      // streamAppendItem fails here without setting errno, and xaddCommand then picks the
      // ERANGE message: what Redis 7.0 really answers.
      throw replyError("ERR Elements are too large to be stored");
    }
    id = stream.lastId + 1n;
  } else {
    id = explicit.id;
  }
  if (id <= stream.lastId) {
    throw replyError(
      "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
  }
  const entry = stream.append(id, argv.slice(idIndex + 1));
  if (trim !== undefined) stream.trim(trim);
  ctx.db.touch(key);
  ctx.db.ready(key);
  return entry.idText;
}

/** An interval's start as an inclusive id: `(id` is the next id (`streamParseIntervalIDOrReply`). */
function parseIntervalStart(text: string): StreamId {
  const start = parseIntervalStreamId(text, 0n);
  if (!start.exclusive) return start.id;
  if (start.id === MAX_STREAM_ID) throw replyError("ERR invalid start ID for the interval");
  return start.id + 1n;
}

/** An interval's end as an inclusive id: `(id` is the previous id. */
function parseIntervalEnd(text: string): StreamId {
  const end = parseIntervalStreamId(text, MAX_SEQ);
  if (!end.exclusive) return end.id;
  if (end.id === MIN_STREAM_ID) throw replyError("ERR invalid end ID for the interval");
  return end.id - 1n;
}

function xrangeGeneric(ctx: CommandContext, argv: readonly string[], reverse: boolean): Reply {
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

function findOrCreateConsumer(
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

function xread(ctx: CommandContext, argv: readonly string[]): CommandReply | BlockRequest {
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

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  "HELP",
  "    Prints this help.",
];

function xgroup(ctx: CommandContext, argv: readonly string[]): Reply {
  const sub = (argv[1] as string).toUpperCase();
  if (sub === "HELP") return XGROUP_HELP.slice();
  let stream: RedisStream | undefined;
  let group: ConsumerGroup | undefined;
  let mkstream = false;
  let entriesRead = -1;
  const key = argv[2] as string;
  const groupName = argv[3] as string;
  for (let index = 5; index < argv.length; ) {
    if (sub === "CREATE" && isOption(argv[index], "MKSTREAM")) {
      mkstream = true;
      index++;
    } else if (
      (sub === "CREATE" || sub === "SETID") &&
      isOption(argv[index], "ENTRIESREAD") &&
      index + 1 < argv.length
    ) {
      entriesRead = parseIntegerArgument(argv[index + 1] as string);
      if (entriesRead < 0 && entriesRead !== -1) {
        throw replyError("ERR value for ENTRIESREAD must be positive or -1");
      }
      index += 2;
    } else {
      throw replyError(subcommandSyntaxError("XGROUP", argv[1] as string));
    }
  }
  stream = lookupTyped(ctx, key, "stream");
  if (!mkstream) {
    if (stream === undefined) {
      throw replyError(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
    }
    group = stream.groups.get(groupName);
    if (
      group === undefined &&
      (sub === "SETID" || sub === "CREATECONSUMER" || sub === "DELCONSUMER")
    ) {
      throw replyError(`NOGROUP No such consumer group '${groupName}' for key name '${key}'`);
    }
  }
  if (sub === "CREATE" && argv.length <= 8) {
    const idText = argv[4] as string;
    const id = idText === "$" ? (stream?.lastId ?? MIN_STREAM_ID) : parseStrictStreamId(idText);
    if (stream === undefined) {
      stream = new RedisStream();
      ctx.db.set(key, { type: "stream", value: stream });
    }
    if (stream.groups.has(groupName)) {
      throw replyError("BUSYGROUP Consumer Group name already exists");
    }
    stream.groups.set(groupName, {
      name: groupName,
      lastId: id,
      entriesRead,
      pending: new SortedIdMap(),
      consumers: new Map(),
    });
    ctx.db.touch(key);
    return OK;
  }
  if (sub === "SETID" && (argv.length === 5 || argv.length === 7)) {
    const idText = argv[4] as string;
    const target = stream as RedisStream;
    const id = idText === "$" ? target.lastId : parseStreamIdArgument(idText).id;
    const setGroup = group as ConsumerGroup;
    setGroup.lastId = id;
    setGroup.entriesRead = entriesRead;
    ctx.db.touch(key);
    return OK;
  }
  if (sub === "DESTROY" && argv.length === 4) {
    if (group === undefined) return 0;
    (stream as RedisStream).groups.delete(groupName);
    ctx.db.touch(key);
    // Blocked XREADGROUP readers of this group get -NOGROUP.
    ctx.db.ready(key);
    return 1;
  }
  if (sub === "CREATECONSUMER" && argv.length === 5) {
    const setGroup = group as ConsumerGroup;
    const name = argv[4] as string;
    if (setGroup.consumers.has(name)) return 0;
    setGroup.consumers.set(name, { name, seenTime: ctx.now, pending: new SortedIdMap() });
    ctx.db.touch(key);
    return 1;
  }
  if (sub === "DELCONSUMER" && argv.length === 5) {
    const setGroup = group as ConsumerGroup;
    const consumer = setGroup.consumers.get(argv[4] as string);
    if (consumer === undefined) return 0;
    const pending = consumer.pending.size;
    for (const [id] of consumer.pending.entriesFrom(MIN_STREAM_ID)) setGroup.pending.delete(id);
    setGroup.consumers.delete(consumer.name);
    ctx.db.touch(key);
    return pending;
  }
  throw replyError(subcommandSyntaxError("XGROUP", argv[1] as string));
}

function xsetid(ctx: CommandContext, argv: readonly string[]): Reply {
  const id = parseStrictStreamId(argv[2] as string);
  let entriesAdded = -1;
  let maxDeleted = MIN_STREAM_ID;
  for (let index = 3; index < argv.length; ) {
    const moreArgs = argv.length - 1 - index;
    if (isOption(argv[index], "ENTRIESADDED") && moreArgs > 0) {
      entriesAdded = parseIntegerArgument(argv[index + 1] as string);
      if (entriesAdded < 0) throw replyError("ERR entries_added must be positive");
      index += 2;
    } else if (isOption(argv[index], "MAXDELETEDID") && moreArgs > 0) {
      maxDeleted = parseStrictStreamId(argv[index + 1] as string);
      if (id < maxDeleted) {
        throw replyError(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
      }
      index += 2;
    } else {
      throw replyError(ERR_SYNTAX);
    }
  }
  const key = argv[1] as string;
  const stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined) throw replyError(ERR_NO_SUCH_KEY);
  if (stream.length > 0) {
    const last = stream.lastEntry() as StreamEntry;
    if (id < last.id) {
      throw replyError("ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entriesAdded !== -1 && stream.length > entriesAdded) {
      throw replyError(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1) stream.entriesAdded = entriesAdded;
  if (maxDeleted !== MIN_STREAM_ID) stream.maxDeletedId = maxDeleted;
  ctx.db.touch(key);
  return OK;
}

function xack(ctx: CommandContext, argv: readonly string[]): Reply {
  const stream = lookupTyped(ctx, argv[1] as string, "stream");
  const group = stream?.groups.get(argv[2] as string);
  if (group === undefined) return 0;
  const ids = argv.slice(3).map(parseStrictStreamId);
  let acknowledged = 0;
  for (const id of ids) {
    const pending = group.pending.get(id);
    if (pending === undefined) continue;
    group.pending.delete(id);
    pending.consumer.pending.delete(id);
    acknowledged++;
  }
  if (acknowledged > 0) ctx.db.touch(argv[1] as string);
  return acknowledged;
}

function xpending(ctx: CommandContext, argv: readonly string[]): Reply {
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

function xclaim(ctx: CommandContext, argv: readonly string[]): Reply {
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

function xautoclaim(ctx: CommandContext, argv: readonly string[]): Reply {
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

function xdel(ctx: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1] as string;
  const stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined) return 0;
  const ids = argv.slice(2).map(parseStrictStreamId);
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  if (deleted > 0) ctx.db.touch(key);
  return deleted;
}

function xtrim(ctx: CommandContext, argv: readonly string[]): Reply {
  const { trim } = parseAddOrTrimArgs(argv, false);
  const key = argv[1] as string;
  const stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined || trim === undefined) return 0;
  const deleted = stream.trim(trim);
  if (deleted > 0) ctx.db.touch(key);
  return deleted;
}

function xlen(ctx: CommandContext, argv: readonly string[]): Reply {
  return lookupTyped(ctx, argv[1] as string, "stream")?.length ?? 0;
}

function pelReply(pending: PendingEntry, withConsumer: boolean): Reply {
  return withConsumer
    ? [
        formatStreamId(pending.id),
        pending.consumer.name,
        pending.deliveryTime,
        pending.deliveryCount,
      ]
    : [formatStreamId(pending.id), pending.deliveryTime, pending.deliveryCount];
}

function limited<ItemType>(items: Iterable<ItemType>, count: number): ItemType[] {
  const result: ItemType[] = [];
  for (const item of items) {
    if (count > 0 && result.length >= count) break;
    result.push(item);
  }
  return result;
}

function xinfoStream(stream: RedisStream, argv: readonly string[]): Reply {
  const options = argv.slice(3);
  let full = false;
  let count = 10;
  if (options.length > 0) {
    if (options.length !== 1 && options.length !== 3) {
      throw replyError(subcommandSyntaxError("XINFO", argv[1] as string));
    }
    if (!isOption(options[0], "FULL")) {
      throw replyError(subcommandSyntaxError("XINFO", argv[1] as string));
    }
    full = true;
    if (options.length === 3) {
      if (!isOption(options[1], "COUNT")) {
        throw replyError(subcommandSyntaxError("XINFO", argv[1] as string));
      }
      count = parseIntegerArgument(options[2] as string);
      if (count < 0) count = 10;
    }
  }
  const keys = stream.nodeCount;
  const reply: Reply[] = [
    "length",
    stream.length,
    "radix-tree-keys",
    keys,
    "radix-tree-nodes",
    keys === 0 ? 1 : keys + 1,
    "last-generated-id",
    formatStreamId(stream.lastId),
    "max-deleted-entry-id",
    formatStreamId(stream.maxDeletedId),
    "entries-added",
    stream.entriesAdded,
    "recorded-first-entry-id",
    formatStreamId(stream.firstId),
  ];
  if (!full) {
    const first = stream.firstEntry();
    const last = stream.lastEntry();
    reply.push(
      "groups",
      stream.groups.size,
      "first-entry",
      first === undefined ? null : entryReply(first),
      "last-entry",
      last === undefined ? null : entryReply(last),
    );
    return reply;
  }
  // Only FULL lists the groups: the plain reply counts them without sorting (rax order by name).
  const groups = [...stream.groups.values()].sort(byName);
  reply.push(
    "entries",
    stream.range(MIN_STREAM_ID, MAX_STREAM_ID, count, false).map(entryReply),
    "groups",
    groups.map((group) => [
      "name",
      group.name,
      "last-delivered-id",
      formatStreamId(group.lastId),
      "entries-read",
      group.entriesRead === -1 ? null : group.entriesRead,
      "lag",
      stream.lag(group),
      "pel-count",
      group.pending.size,
      "pending",
      limited(group.pending.valuesFrom(MIN_STREAM_ID), count).map((pending) =>
        pelReply(pending, true),
      ),
      "consumers",
      [...group.consumers.values()]
        .sort(byName)
        .map((consumer) => [
          "name",
          consumer.name,
          "seen-time",
          consumer.seenTime,
          "pel-count",
          consumer.pending.size,
          "pending",
          limited(consumer.pending.valuesFrom(MIN_STREAM_ID), count).map((pending) =>
            pelReply(pending, false),
          ),
        ]),
    ]),
  );
  return reply;
}

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  "HELP",
  "    Prints this help.",
];

function xinfo(ctx: CommandContext, argv: readonly string[]): Reply {
  const sub = (argv[1] as string).toUpperCase();
  if (sub === "HELP") return XINFO_HELP.slice();
  const key = argv[2] as string;
  const stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined) throw replyError(ERR_NO_SUCH_KEY);
  if (sub === "CONSUMERS" && argv.length === 4) {
    const groupName = argv[3] as string;
    const group = stream.groups.get(groupName);
    if (group === undefined) {
      throw replyError(`NOGROUP No such consumer group '${groupName}' for key name '${key}'`);
    }
    return [...group.consumers.values()]
      .sort(byName)
      .map((consumer) => [
        "name",
        consumer.name,
        "pending",
        consumer.pending.size,
        "idle",
        Math.max(0, ctx.now - consumer.seenTime),
      ]);
  }
  if (sub === "GROUPS" && argv.length === 3) {
    return [...stream.groups.values()]
      .sort(byName)
      .map((group) => [
        "name",
        group.name,
        "consumers",
        group.consumers.size,
        "pending",
        group.pending.size,
        "last-delivered-id",
        formatStreamId(group.lastId),
        "entries-read",
        group.entriesRead === -1 ? null : group.entriesRead,
        "lag",
        stream.lag(group),
      ]);
  }
  if (sub === "STREAM") return xinfoStream(stream, argv);
  throw replyError(subcommandSyntaxError("XINFO", argv[1] as string));
}

/**
 * The stream commands of the fake, keyed by lower-case name, with Redis 7.0 arities.
 *
 * @example
 * ```ts
 * streamCommands.xadd?.arity; // -5
 * ```
 */
export const streamCommands: CommandTable = {
  xadd: { arity: -5, handler: xadd, write: true },
  xrange: { arity: -4, handler: (ctx, argv) => xrangeGeneric(ctx, argv, false) },
  xrevrange: { arity: -4, handler: (ctx, argv) => xrangeGeneric(ctx, argv, true) },
  xlen: { arity: 2, handler: xlen },
  xdel: { arity: -3, handler: xdel, write: true },
  xtrim: { arity: -4, handler: xtrim, write: true },
  xread: { arity: -4, handler: xread },
  xreadgroup: { arity: -7, handler: xread, write: true },
  xack: { arity: -4, handler: xack, write: true },
  xpending: { arity: -3, handler: xpending },
  xclaim: { arity: -6, handler: xclaim, write: true },
  xautoclaim: { arity: -6, handler: xautoclaim, write: true },
  xsetid: { arity: -3, handler: xsetid, write: true },
  xgroup: {
    arity: -2,
    handler: xgroup,
    write: true,
    subcommands: {
      create: { arity: -5 },
      setid: { arity: -5 },
      destroy: { arity: 4 },
      createconsumer: { arity: 5 },
      delconsumer: { arity: 5 },
      help: { arity: 2 },
    },
  },
  xinfo: {
    arity: -2,
    handler: xinfo,
    subcommands: {
      stream: { arity: -3 },
      groups: { arity: 3 },
      consumers: { arity: 4 },
      help: { arity: 2 },
    },
  },
};
