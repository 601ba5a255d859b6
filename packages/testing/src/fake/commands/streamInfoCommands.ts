import {
  type CommandContext,
  isOption,
  lookupTyped,
  parseIntegerArgument,
} from "../CommandContext.js";
import type { PendingEntry, RedisStream } from "../RedisStream.js";
import { ERR_NO_SUCH_KEY, type Reply, replyError, subcommandSyntaxError } from "../replyError.js";
import { formatStreamId, MAX_STREAM_ID, MIN_STREAM_ID } from "../StreamId.js";
import { byName, entryReply } from "./streamReplies.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

// XINFO STREAM / GROUPS / CONSUMERS.

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

export function xinfo(ctx: CommandContext, argv: readonly string[]): Reply {
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
