import { APPEND_SCRIPT, SNAPSHOT_SCRIPT, VERSION_SCRIPT } from "@streamstore/core";
import { type LuaValue, SCRIPT_TWIN_FALLBACK, type ScriptTwin } from "./ScriptTwin.js";
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

/** The Lua `field(entry, name)` helper of the append script: first value of `name`, or nil. */
function field(entry: LuaValue, name: string): string | undefined {
  if (!Array.isArray(entry)) return undefined;
  const fields = entry[1];
  if (!Array.isArray(fields)) return undefined;
  for (let index = 0; index < fields.length; index += 2) {
    if (fields[index] === name) {
      const value = fields[index + 1];
      return typeof value === "string" ? value : undefined;
    }
  }
  return undefined;
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

    let current = 0;
    let exists = false;
    const last = redis.call(appendLines.last, "XREVRANGE", stream, "+", "-", "COUNT", 1);
    const lastEntries = last as LuaValue[];
    if (lastEntries.length > 0) {
      const version = versionOf((lastEntries[0] as LuaValue[])[0]);
      if (version === undefined) return SCRIPT_TWIN_FALLBACK;
      current = version;
      exists = true;
    } else if (redis.call(appendLines.exists, "EXISTS", stream) === 1) {
      exists = true;
      const info = redis.call(appendLines.info, "XINFO", "STREAM", stream) as LuaValue[];
      for (let index = 0; index < info.length; index += 2) {
        if (info[index] === "last-generated-id") {
          const version = versionOf(info[index + 1]);
          if (version === undefined) return SCRIPT_TWIN_FALLBACK;
          current = version;
        }
      }
    }
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
      let position: LuaValue;
      if (metadata === "" && schema === "1") {
        position = redis.call(
          appendLines.plainLog,
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
        );
        redis.call(
          appendLines.plainStream,
          "XADD",
          stream,
          `${version}-0`,
          "i",
          id,
          "t",
          eventType,
          "d",
          data,
          "p",
          position as string,
        );
      } else {
        const extra: string[] = [];
        if (metadata !== "") extra.push("m", metadata);
        if (schema !== "1") extra.push("s", schema);
        position = redis.call(
          appendLines.extraLog,
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
          appendLines.extraStream,
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
      }
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
    const last = redis.call(versionLines.last, "XREVRANGE", stream, "+", "-", "COUNT", 1);
    const lastEntries = last as LuaValue[];
    if (lastEntries.length > 0) {
      const version = versionOf((lastEntries[0] as LuaValue[])[0]);
      return version === undefined ? SCRIPT_TWIN_FALLBACK : [version, 1];
    }
    if (redis.call(versionLines.exists, "EXISTS", stream) === 0) return [0, 0];
    const info = redis.call(versionLines.info, "XINFO", "STREAM", stream) as LuaValue[];
    for (let index = 0; index < info.length; index += 2) {
      if (info[index] === "last-generated-id") {
        const version = versionOf(info[index + 1]);
        return version === undefined ? SCRIPT_TWIN_FALLBACK : [version, 1];
      }
    }
    return [0, 1];
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
