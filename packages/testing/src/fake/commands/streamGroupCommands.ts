import {
  type CommandContext,
  isOption,
  lookupTyped,
  parseIntegerArgument,
} from "../CommandContext.js";
import { type ConsumerGroup, RedisStream } from "../RedisStream.js";
import { OK, type Reply, replyError, subcommandSyntaxError } from "../replyError.js";
import { SortedIdMap } from "../SortedIdMap.js";
import { MIN_STREAM_ID, parseStreamIdArgument, parseStrictStreamId } from "../StreamId.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

// Consumer groups: XGROUP (create, setid, destroy, consumers) and XACK.

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

export function xgroup(ctx: CommandContext, argv: readonly string[]): Reply {
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

export function xack(ctx: CommandContext, argv: readonly string[]): Reply {
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
