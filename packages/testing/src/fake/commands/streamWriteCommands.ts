import {
  type CommandContext,
  isOption,
  lookupTyped,
  parseIntegerArgument,
} from "../CommandContext.js";
import { RedisStream, type StreamEntry, type StreamTrimArgs } from "../RedisStream.js";
import {
  arityError,
  ERR_NO_SUCH_KEY,
  ERR_SYNTAX,
  OK,
  type Reply,
  replyError,
} from "../replyError.js";
import {
  MAX_SEQ,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  parseStreamIdArgument,
  parseStrictStreamId,
  type StreamId,
  streamIdMs,
  streamIdSeq,
} from "../StreamId.js";

// Every rule and error text below follows Redis 7.0.15's src/t_stream.c (function names cited).

// The stream commands that add, delete and trim entries: XADD, XSETID, XDEL, XTRIM.

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

export function xadd(ctx: CommandContext, argv: readonly string[]): Reply {
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

export function xsetid(ctx: CommandContext, argv: readonly string[]): Reply {
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

export function xdel(ctx: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1] as string;
  const stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined) return 0;
  const ids = argv.slice(2).map(parseStrictStreamId);
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  if (deleted > 0) ctx.db.touch(key);
  return deleted;
}

export function xtrim(ctx: CommandContext, argv: readonly string[]): Reply {
  const { trim } = parseAddOrTrimArgs(argv, false);
  const key = argv[1] as string;
  const stream = lookupTyped(ctx, key, "stream");
  if (stream === undefined || trim === undefined) return 0;
  const deleted = stream.trim(trim);
  if (deleted > 0) ctx.db.touch(key);
  return deleted;
}
