import { APPEND_SCRIPT, SNAPSHOT_SCRIPT, VERSION_SCRIPT } from "@streamstore/core";
import {
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinRedis,
} from "./ScriptTwin.js";
import { scriptLine } from "./scriptLine.js";

// The fake's Lua (fengari) has 32-bit integers: `2147483647 + 1` wraps and string.format("%d")
// refuses larger floats. Twins cover what both agree on and hand bigger versions to the Lua, so a
// twin never answers differently from the script it replaces.
const INT32_MAX = 2_147_483_647;

/** Lua's `tonumber` on the plain decimal texts the toolkit sends; other texts go to Lua. */
function decimal(text: string | undefined, digits = 9): number | undefined {
  if (text === undefined) return undefined;
  return new RegExp(`^\\d{1,${digits}}$`).test(text) ? Number(text) : undefined;
}

/** `tonumber(string.match(entryId, "^(%d+)%-"))`. */
function versionOf(entryId: LuaValue): number | undefined {
  if (typeof entryId !== "string") return undefined;
  const match = /^(\d+)-/.exec(entryId);
  return match === null ? undefined : Number(match[1]);
}

/** The value after the first `name` in a flat name/value reply (XINFO STREAM, an entry's fields). */
function valueAfter(pairs: LuaValue, name: string): LuaValue {
  if (!Array.isArray(pairs)) return undefined;
  for (let index = 0; index < pairs.length; index += 2) {
    if (pairs[index] === name) return pairs[index + 1];
  }
  return undefined;
}

/** The Lua `field(entry, name)` helper of the append script: first value of `name`, or nil. */
function field(entry: LuaValue, name: string): string | undefined {
  const value = Array.isArray(entry) ? valueAfter(entry[1], name) : undefined;
  return typeof value === "string" ? value : undefined;
}

/** The script lines of the reads both the append and the version script start with. */
interface VersionReadLines {
  readonly last: number;
  readonly exists: number;
  readonly info: number;
}

/**
 * The stream's version as the append and version scripts both read it: the last entry's id, else
 * (a stream emptied by XDEL/XTRIM) XINFO's `last-generated-id`. `undefined` when an id is not
 * `<version>-<seq>`: only the Lua knows what it does then.
 */
function readVersion(
  redis: ScriptTwinRedis,
  lines: VersionReadLines,
  stream: string,
): { current: number; exists: boolean; lastEntries: LuaValue[] } | undefined {
  const last = redis.call(lines.last, "XREVRANGE", stream, "+", "-", "COUNT", 1);
  const lastEntries = last as LuaValue[];
  if (lastEntries.length > 0) {
    const current = versionOf((lastEntries[0] as LuaValue[])[0]);
    return current === undefined ? undefined : { current, exists: true, lastEntries };
  }
  if (redis.call(lines.exists, "EXISTS", stream) === 0) {
    return { current: 0, exists: false, lastEntries };
  }
  const info = redis.call(lines.info, "XINFO", "STREAM", stream);
  const lastId = valueAfter(info, "last-generated-id");
  if (lastId === undefined) return { current: 0, exists: true, lastEntries };
  const current = versionOf(lastId);
  return current === undefined ? undefined : { current, exists: true, lastEntries };
}

const appendLines = {
  last: scriptLine(APPEND_SCRIPT, 'local last = redis.call("XREVRANGE"'),
  exists: scriptLine(APPEND_SCRIPT, 'elseif redis.call("EXISTS"'),
  info: scriptLine(APPEND_SCRIPT, 'local info = redis.call("XINFO"'),
  range: scriptLine(APPEND_SCRIPT, 'candidates = redis.call("XRANGE"'),
  tail: scriptLine(APPEND_SCRIPT, 'candidates = redis.call("XREVRANGE"'),
  plainLog: scriptLine(APPEND_SCRIPT, 'position = redis.call("XADD", log, "*", "i"'),
  plainStream: scriptLine(APPEND_SCRIPT, 'redis.call("XADD", stream, version .. "-0", "i"'),
  extraLog: scriptLine(APPEND_SCRIPT, 'position = redis.call("XADD", log, "*", unpack'),
  extraStream: scriptLine(APPEND_SCRIPT, 'redis.call("XADD", stream, version .. "-0", unpack'),
};

/**
 * Twin of core's `APPEND_SCRIPT`: version check, idempotency check, then the two XADDs per
 * event, statement for statement as the Lua does them (same commands, same order, same replies).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [APPEND_SCRIPT_TWIN] });
 * ```
 */
export const APPEND_SCRIPT_TWIN: ScriptTwin = {
  name: "core append",
  source: APPEND_SCRIPT,
  portedFromSha1: "9a38961fb3e19dd1a2c4e5ae22b826c55e9c0f10",
  run(redis, keys, args) {
    const stream = keys[0];
    const log = keys[1];
    const kind = args[0];
    const aggregateId = args[2];
    const n = decimal(args[3]);
    if (stream === undefined || log === undefined || kind === undefined)
      return SCRIPT_TWIN_FALLBACK;
    if (aggregateId === undefined || n === undefined || args.length < 4 + 5 * n) {
      return SCRIPT_TWIN_FALLBACK;
    }
    const expected = kind === "exact" ? decimal(args[1]) : undefined;
    if (kind === "exact" && (expected === undefined || expected + n > INT32_MAX)) {
      return SCRIPT_TWIN_FALLBACK;
    }
    // ARGV[FIRST + (k - 1) * FIELDS + offset], FIRST = 5, FIELDS = 5, ARGV 1-based.
    const arg = (k: number, offset: number): string | undefined => args[4 + (k - 1) * 5 + offset];

    const read = readVersion(redis, appendLines, stream);
    if (read === undefined) return SCRIPT_TWIN_FALLBACK;
    const { current, exists, lastEntries } = read;
    // Everything below formats versions with %d: beyond int32 only the Lua knows what it does.
    if (current + n > INT32_MAX) return SCRIPT_TWIN_FALLBACK;

    let candidates: LuaValue[] | undefined;
    if (kind === "exact" || kind === "no_stream") {
      const base = kind === "no_stream" ? 0 : (expected as number);
      if (current > base) {
        candidates = redis.call(
          appendLines.range,
          "XRANGE",
          stream,
          `${base + 1}-0`,
          `${base + n}-0`,
        ) as LuaValue[];
      }
    } else if (lastEntries.length > 0) {
      const lastId = field(lastEntries[0], "i");
      for (let k = 1; k <= n; k++) {
        if (arg(k, 0) === lastId) {
          if (k !== n) {
            return [
              "idempotency",
              lastId,
              "as the last event of the stream, but not last in this batch",
            ];
          }
          const tail = redis.call(
            appendLines.tail,
            "XREVRANGE",
            stream,
            "+",
            "-",
            "COUNT",
            n,
          ) as LuaValue[];
          candidates = [...tail].reverse();
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
        const newest = versionOf((candidates[n - 1] as LuaValue[])[0]);
        const oldest = versionOf((candidates[0] as LuaValue[])[0]);
        const reply: LuaValue[] = ["dup", newest, oldest];
        for (let k = 1; k <= n; k++) {
          const candidate = candidates[k - 1];
          if (field(candidate, "t") !== arg(k, 1) || field(candidate, "d") !== arg(k, 2)) {
            return ["idempotency", arg(k, 0), "with another type or payload"];
          }
          reply.push(field(candidate, "p") ?? "");
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
    for (let k = 1; k <= n; k++) {
      const version = String(current + k);
      const id = arg(k, 0) as string;
      const eventType = arg(k, 1) as string;
      const data = arg(k, 2) as string;
      const metadata = arg(k, 3) as string;
      const schema = arg(k, 4) as string;
      const extra: string[] = [];
      if (metadata !== "") extra.push("m", metadata);
      if (schema !== "1") extra.push("s", schema);
      // The Lua writes the common event (no metadata, schema 1) with two plain calls and the rest
      // through unpack(): same commands, other script lines for an error to name.
      const plain = extra.length === 0;
      const position = redis.call(
        plain ? appendLines.plainLog : appendLines.extraLog,
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
      );
      redis.call(
        plain ? appendLines.plainStream : appendLines.extraStream,
        "XADD",
        stream,
        `${version}-0`,
        "i",
        id,
        "t",
        eventType,
        "d",
        data,
        ...extra,
        "p",
        position as string,
      );
      reply.push(position);
    }
    return reply;
  },
};

const versionLines = {
  last: scriptLine(VERSION_SCRIPT, 'local last = redis.call("XREVRANGE"'),
  exists: scriptLine(VERSION_SCRIPT, 'if redis.call("EXISTS"'),
  info: scriptLine(VERSION_SCRIPT, 'local info = redis.call("XINFO"'),
};

/**
 * Twin of core's `VERSION_SCRIPT` (`flags=no-writes`: the fake refuses writes from it exactly as
 * from its Lua, the flag being read from the same shebang).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [VERSION_SCRIPT_TWIN] });
 * ```
 */
export const VERSION_SCRIPT_TWIN: ScriptTwin = {
  name: "core version",
  source: VERSION_SCRIPT,
  portedFromSha1: "1e3e02648ace2f10f86f98534d00962321191361",
  run(redis, keys) {
    const stream = keys[0];
    if (stream === undefined) return SCRIPT_TWIN_FALLBACK;
    const read = readVersion(redis, versionLines, stream);
    if (read === undefined) return SCRIPT_TWIN_FALLBACK;
    return [read.current, read.exists ? 1 : 0];
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
 * The twins of `@streamstore/core`'s scripts, used by {@link createFakeRedis} by default.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, myProjectionTwin] });
 * ```
 */
export const CORE_SCRIPT_TWINS: readonly ScriptTwin[] = [
  APPEND_SCRIPT_TWIN,
  VERSION_SCRIPT_TWIN,
  SNAPSHOT_SCRIPT_TWIN,
];
