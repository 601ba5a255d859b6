import { scriptLine } from "../scripting/scriptLine.js";
import { type LuaValue, SCRIPT_TWIN_FALLBACK, type ScriptTwin } from "../scripting/scriptTwin.js";
import { APPEND_SCRIPT, READ_SCRIPT, SNAPSHOT_SCRIPT, VERSION_SCRIPT } from "./scripts.js";
import {
  decimal,
  encodePosition,
  entriesThroughIndex,
  field,
  indexState,
  positionsThroughIndex,
} from "./scriptTwinShared.js";

// Native JS twins of the scripts in scripts.ts, for the in-memory fake of @streamstore/testing
// (which registers them by default): each is a statement-by-statement port, keyed by the SHA1 of
// its script's text and pinned to the SHA it was ported from, so an edit to a script disables its
// twin until it is re-ported (coreScriptTwins.pinned in @streamstore/testing fails meanwhile).

/** The Lua's `redis.error_reply` for a batch its arguments do not describe. */
const APPEND_ARGUMENTS_ERROR =
  "ERR streamstore append: ARGV[4] must count the events (>= 1), ARGV[5] be 3 or 5";

const appendLines = {
  strlen: scriptLine(APPEND_SCRIPT, 'local length = redis.call("STRLEN"'),
  header: scriptLine(APPEND_SCRIPT, 'local header = redis.call("GETRANGE"'),
  getRange: scriptLine(APPEND_SCRIPT, 'local records = redis.call("GETRANGE"'),
  xrange: scriptLine(APPEND_SCRIPT, 'local found = redis.call("XRANGE"'),
  plainXadd: scriptLine(APPEND_SCRIPT, 'position = redis.call("XADD", log, "*", "i"'),
  extraXadd: scriptLine(APPEND_SCRIPT, 'position = redis.call("XADD", log, "*", unpack'),
  xdel: scriptLine(APPEND_SCRIPT, 'redis.call("XDEL", log'),
  append: scriptLine(APPEND_SCRIPT, 'redis.call("APPEND", index'),
};

/**
 * Twin of core's `APPEND_SCRIPT` (storage layout 2): the index length check, the idempotency
 * lookups through the index (GETRANGE, then one XRANGE of the log per version), the version
 * check, one XADD to the log per event and one APPEND of the records to the index, statement
 * for statement as the Lua does them (same commands, same order, same replies).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [APPEND_SCRIPT_TWIN] }); // createFakeRedis of @streamstore/testing
 * ```
 */
export const APPEND_SCRIPT_TWIN: ScriptTwin = {
  name: "core append",
  source: APPEND_SCRIPT,
  portedFromSha1: "55b3b2249d8528f4892732ebdd19d4bc61f19bcc",
  run(redis, keys, args) {
    const index = keys[0];
    const log = keys[1];
    const kind = args[0];
    const aggregateId = args[2];
    const n = decimal(args[3]);
    const fields = decimal(args[4]);
    if (index === undefined || log === undefined || kind === undefined) return SCRIPT_TWIN_FALLBACK;
    // What the Lua refuses before anything else (a non-decimal text goes to the Lua instead).
    if (n === undefined || fields === undefined || aggregateId === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (n < 1 || (fields !== 3 && fields !== 5) || args.length < 5 + n * fields) {
      return { err: APPEND_ARGUMENTS_ERROR };
    }
    const expected = kind === "exact" ? decimal(args[1], 15) : undefined;
    if (kind === "exact" && expected === undefined) return SCRIPT_TWIN_FALLBACK;
    // ARGV[FIRST + (k - 1) * FIELDS + offset], FIRST = 6, FIELDS 3 or 5, ARGV 1-based.
    const arg = (k: number, offset: number): string | undefined =>
      args[5 + (k - 1) * fields + offset];
    const state = indexState(redis, appendLines, index);
    if ("corrupt" in state) return ["corrupt", state.corrupt];
    const { current, archived } = state;
    const exists = current > 0;
    // An archived version is {"0-0"}: no id to match (see the Lua's entriesOf).
    const entriesOf = (first: number, last: number): LuaValue[] | undefined => {
      const entries: LuaValue[] = [];
      const low = Math.max(first, archived + 1);
      for (let version = first; version <= Math.min(low - 1, last); version++) {
        entries.push(["0-0"]);
      }
      if (low > last) return entries;
      const hot = entriesThroughIndex(
        redis,
        appendLines,
        index,
        log,
        { first: low, last, low, high: last },
        state,
      );
      return hot === undefined ? undefined : [...entries, ...hot];
    };

    let candidates: LuaValue[] | undefined;
    let firstCandidate = 0;
    if (kind === "exact" || kind === "no_stream") {
      const base = kind === "no_stream" ? 0 : (expected as number);
      if (current > base) {
        firstCandidate = base + 1;
        candidates = entriesOf(base + 1, Math.min(base + n, current));
        if (candidates === undefined) return SCRIPT_TWIN_FALLBACK;
      }
    } else if (exists) {
      const last = entriesOf(current, current);
      if (last === undefined) return SCRIPT_TWIN_FALLBACK;
      const lastId = field(last[0], "i");
      for (let k = 1; k <= n; k++) {
        if (arg(k, 0) === lastId) {
          if (k !== n) {
            return [
              "idempotency",
              lastId,
              "as the last event of the stream, but not last in this batch",
            ];
          }
          firstCandidate = Math.max(current - n + 1, 1);
          candidates = entriesOf(firstCandidate, current);
          if (candidates === undefined) return SCRIPT_TWIN_FALLBACK;
        }
      }
    }
    if (candidates !== undefined && candidates.length > 0) {
      let matched = 0;
      for (let k = 1; k <= candidates.length; k++) {
        if (field(candidates[k - 1], "i") === arg(k, 0)) matched++;
      }
      if (matched > 0) {
        if (matched !== n || candidates.length !== n) {
          return ["idempotency", arg(1, 0), "in a batch of another shape"];
        }
        const reply: LuaValue[] = ["dup", firstCandidate + n - 1, firstCandidate];
        for (let k = 1; k <= n; k++) {
          const candidate = candidates[k - 1];
          if (field(candidate, "t") !== arg(k, 1) || field(candidate, "d") !== arg(k, 2)) {
            return ["idempotency", arg(k, 0), "with another type or payload"];
          }
          reply.push((candidate as LuaValue[])[0]);
        }
        return reply;
      }
    }

    let ok = true;
    if (kind === "no_stream") ok = !exists;
    else if (kind === "stream_exists") ok = exists;
    else if (kind === "exact") ok = current === expected;
    if (!ok) return ["conflict", current, exists ? 1 : 0];

    const reply: LuaValue[] = ["ok", current + n, current + 1];
    const records: string[] = [];
    for (let k = 1; k <= n; k++) {
      const version = String(current + k);
      const id = arg(k, 0) as string;
      const eventType = arg(k, 1) as string;
      const data = arg(k, 2) as string;
      const metadata = fields === 5 ? (arg(k, 3) as string) : "";
      const schema = fields === 5 ? (arg(k, 4) as string) : "1";
      const extra: string[] = [];
      if (metadata !== "") extra.push("m", metadata);
      if (schema !== "1") extra.push("s", schema);
      // The Lua writes the common event (no metadata, schema 1) with a plain call and the rest
      // through unpack(): the same command, another script line for an error to name.
      const position = redis.call(
        extra.length === 0 ? appendLines.plainXadd : appendLines.extraXadd,
        "XADD",
        log,
        "*",
        "i",
        id,
        "t",
        eventType,
        "d",
        data,
        "a",
        aggregateId,
        "v",
        version,
        ...extra,
      ) as string;
      reply.push(position);
      const record = encodePosition(position);
      if (record === undefined) {
        for (let added = 3; added < reply.length; added++) {
          redis.call(appendLines.xdel, "XDEL", log, reply[added] as string);
        }
        return ["position", position];
      }
      records.push(record);
    }
    redis.call(appendLines.append, "APPEND", index, records.join(""));
    return reply;
  },
};

const readLines = {
  strlen: scriptLine(READ_SCRIPT, 'local length = redis.call("STRLEN"'),
  header: scriptLine(READ_SCRIPT, 'local header = redis.call("GETRANGE"'),
  getRange: scriptLine(READ_SCRIPT, 'local records = redis.call("GETRANGE"'),
  xrange: scriptLine(READ_SCRIPT, 'local found = redis.call("XRANGE"'),
};

/**
 * Twin of core's `READ_SCRIPT`: one page of an aggregate, forward or backward, through its index
 * (`flags=no-writes`, run with EVALSHA_RO/EVAL_RO: the fake refuses writes from it as from its
 * Lua, the flag being read from the same shebang).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [READ_SCRIPT_TWIN] });
 * ```
 */
export const READ_SCRIPT_TWIN: ScriptTwin = {
  name: "core read",
  source: READ_SCRIPT,
  portedFromSha1: "46901afdad2fa72f8a5a44040e6bc8e0edb87f46",
  run(redis, keys, args) {
    const index = keys[0];
    const log = keys[1];
    const backward = args[0] === "backward";
    // The Lua uses all three in either direction (a nil one is an arithmetic or compare error
    // there): what is not a plain decimal goes to the Lua before any call.
    const start = decimal(args[1], 15);
    const stop = decimal(args[2], 15);
    const count = decimal(args[3], 15);
    // Lua's tonumber(nil) is nil: no fifth argument, no positions reply.
    const positionsAbove = args[4] === undefined ? undefined : decimal(args[4], 15);
    if (args[4] !== undefined && positionsAbove === undefined) return SCRIPT_TWIN_FALLBACK;
    if (index === undefined || log === undefined) return SCRIPT_TWIN_FALLBACK;
    if (start === undefined || stop === undefined || count === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }

    const state = indexState(redis, readLines, index);
    if ("corrupt" in state) return ["corrupt", state.corrupt];
    const { current, archived } = state;
    let first: number;
    let last: number;
    let step: 1 | -1;
    if (backward) {
      first = start;
      if (first === 0 || first > current) first = current;
      last = Math.max(stop, first - count + 1, archived + 1, 1);
      step = -1;
    } else {
      first = Math.max(start, 1);
      last = current;
      if (stop > 0 && stop < last) last = stop;
      last = Math.min(last, first + count - 1);
      step = 1;
    }
    const reply: LuaValue[] = ["ok", current, first, archived];
    const low = Math.min(first, last);
    const high = Math.max(first, last);
    if (
      (step === 1 && first > last) ||
      (step === -1 && first < last) ||
      current === 0 ||
      low <= archived
    ) {
      return reply;
    }
    const range = { first, last, low, high };
    if (positionsAbove !== undefined && high - low + 1 > positionsAbove) {
      const positions = positionsThroughIndex(redis, readLines.getRange, index, range, state);
      if (positions === undefined) return SCRIPT_TWIN_FALLBACK;
      reply[0] = "positions";
      for (const part of positions) reply.push(part);
      return reply;
    }
    const entries = entriesThroughIndex(redis, readLines, index, log, range, state);
    if (entries === undefined) return SCRIPT_TWIN_FALLBACK;
    // A loop, not a spread: a page of up to 100,000 entries must not land on the call stack.
    for (const entry of entries) reply.push(entry);
    return reply;
  },
};

const versionLines = {
  strlen: scriptLine(VERSION_SCRIPT, 'local length = redis.call("STRLEN"'),
  header: scriptLine(VERSION_SCRIPT, 'local header = redis.call("GETRANGE"'),
};

/**
 * Twin of core's `VERSION_SCRIPT`: the index length in whole records, and whether it is
 * non-empty (`flags=no-writes`, run with EVALSHA_RO).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [VERSION_SCRIPT_TWIN] });
 * ```
 */
export const VERSION_SCRIPT_TWIN: ScriptTwin = {
  name: "core version",
  source: VERSION_SCRIPT,
  portedFromSha1: "a2fe9381ea3493d51517adfbaae380aac119b478",
  run(redis, keys) {
    const index = keys[0];
    if (index === undefined) return SCRIPT_TWIN_FALLBACK;
    const state = indexState(redis, versionLines, index);
    if ("corrupt" in state) return ["corrupt", state.corrupt];
    return [state.current, state.current > 0 ? 1 : 0];
  },
};

const snapshotLines = {
  get: scriptLine(SNAPSHOT_SCRIPT, 'local stored = redis.call("HGET"'),
  set: scriptLine(SNAPSHOT_SCRIPT, 'redis.call("HSET"'),
};

/**
 * Twin of core's `SNAPSHOT_SCRIPT`: keeps a stored snapshot of a higher or equal version.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [SNAPSHOT_SCRIPT_TWIN] });
 * ```
 */
export const SNAPSHOT_SCRIPT_TWIN: ScriptTwin = {
  name: "core snapshot",
  source: SNAPSHOT_SCRIPT,
  portedFromSha1: "7fa0e0796808740e88d6144f1486a6b9d42edcf0",
  run(redis, keys, args) {
    const key = keys[0];
    const versionText = args[0];
    const document = args[1];
    const version = decimal(versionText, 15);
    if (key === undefined || versionText === undefined || document === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (version === undefined) return SCRIPT_TWIN_FALLBACK;
    const stored = redis.call(snapshotLines.get, "HGET", key, "v");
    if (typeof stored === "string") {
      // Lua's tonumber accepts hex, exponents, spaces; a hand-written oddity goes to the Lua.
      const storedVersion = decimal(stored, 15);
      if (storedVersion === undefined) return SCRIPT_TWIN_FALLBACK;
      if (storedVersion >= version) return 0;
    }
    redis.call(snapshotLines.set, "HSET", key, "v", versionText, "doc", document);
    return 1;
  },
};

/**
 * The twins of `@streamstore/core`'s scripts, registered by default by `createFakeRedis` of
 * @streamstore/testing: the append, read, version and snapshot scripts, every script on the event
 * store's paths (the archiver's `ARCHIVE_TRIM_SCRIPT` has none: it runs in the fake's Lua).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, myProjectionTwin] });
 * ```
 */
export const CORE_SCRIPT_TWINS: readonly ScriptTwin[] = [
  APPEND_SCRIPT_TWIN,
  READ_SCRIPT_TWIN,
  VERSION_SCRIPT_TWIN,
  SNAPSHOT_SCRIPT_TWIN,
];
