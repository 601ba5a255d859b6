import {
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  scriptLine,
} from "@streamstore/core/internal";
import {
  ACQUIRE_LEASE_SCRIPT,
  COMMIT_SCRIPT,
  DEAD_LETTER_COMMIT_SCRIPT,
  HEARTBEAT_SCRIPT,
  RENEW_LEASE_SCRIPT,
  SWITCH_ACTIVE_BUILD_SCRIPT,
} from "./scripts.js";

// Native JS twins of the scripts in scripts.ts, for the in-memory fake of @streamstore/testing
// (which registers them by default). Each twin pins the SHA of the text it was ported from, so an
// edit to a script makes the fake run the Lua and projectionScriptTwins.pinned (in
// @streamstore/testing) fail until the port is redone.

// These twins follow what real Redis (Lua 5.1, doubles only) computes, sums and %d formatting
// past 2^31 included. The fake's Lua does too: its tonumber, math.max/min and string.format are
// 5.1's (see LuaScriptEngine), where fengari's own (Lua 5.3, 32-bit integers) wrapped or raised.

/** Lua's `tonumber` on the integer texts the toolkit sends; `undefined` for anything else. */
function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** `string.format("%d", n)` in Lua 5.1: the double cast to a C integer. */
function formatInteger(value: number): string {
  return BigInt(Math.trunc(value)).toString();
}

/**
 * A read-model document's revision from its GET reply: 0 for a missing key, else
 * `tonumber(string.match(stored, "^(%d+):")) or -1`, -1 for a hand-written value without one
 * (`tonumber(nil)` is nil, not an error, in Lua 5.1 and 5.3).
 */
function revisionOf(stored: LuaValue): number {
  if (typeof stored !== "string") return 0;
  const match = /^(\d+):/.exec(stored);
  return match === null ? -1 : Number(match[1]);
}

/**
 * The expected revisions of `docs` (expected revision, document) ARGV pairs from index `first`;
 * `undefined` when a pair is missing or a revision is not an integer (the Lua's job then).
 */
function expectedRevisionsOf(
  args: readonly string[],
  first: number,
  docs: number,
): number[] | undefined {
  if (args.length < first + docs * 2) return undefined;
  const revisions: number[] = [];
  for (let i = 0; i < docs; i++) {
    const expected = integer(args[first + i * 2]);
    if (expected === undefined) return undefined;
    revisions.push(expected);
  }
  return revisions;
}

const commitLines = {
  fence: scriptLine(COMMIT_SCRIPT, 'local current = redis.call("GET", KEYS[2])'),
  checkpoint: scriptLine(COMMIT_SCRIPT, 'local stored = redis.call("HGET"'),
  document: scriptLine(COMMIT_SCRIPT, 'local current = redis.call("GET", KEYS[4 + i])'),
  write: scriptLine(COMMIT_SCRIPT, 'redis.call("SET", KEYS[4 + i]'),
  position: scriptLine(COMMIT_SCRIPT, 'redis.call("HSET", KEYS[1]'),
  deadLetter: scriptLine(COMMIT_SCRIPT, "redis.call(unpack(args))"),
  attempts: scriptLine(COMMIT_SCRIPT, 'redis.call("HDEL", KEYS[4]'),
};

/**
 * Twin of the projections' `COMMIT_SCRIPT`: fence check, checkpoint compare-and-set, revision
 * compare-and-set of every document, then the writes (documents, checkpoint, dead letters,
 * cleared attempt counters) in the Lua's order. An argument layout the runner never sends goes to
 * the Lua.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, COMMIT_SCRIPT_TWIN] });
 * ```
 */
export const COMMIT_SCRIPT_TWIN: ScriptTwin = {
  name: "projections commit",
  source: COMMIT_SCRIPT,
  portedFromSha1: "a91c923f7629223f9a2acea4d3d028f999b0abf7",
  run(redis, keys, args) {
    const [token, field, expectedPosition, newPosition] = args;
    const delta = integer(args[4]);
    const docs = integer(args[5]);
    const deadLetters = integer(args[6]);
    const attempts = integer(args[7]);
    if (token === undefined || field === undefined || expectedPosition === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (newPosition === undefined || delta === undefined || docs === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (deadLetters === undefined || attempts === undefined || docs < 0 || deadLetters < 0) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (attempts < 0 || keys.length < 4 + docs) return SCRIPT_TWIN_FALLBACK;
    // The whole layout is checked before the first command: past the first write the twin may
    // no longer hand over to the Lua.
    const expectedRevisions = expectedRevisionsOf(args, 8, docs);
    if (expectedRevisions === undefined) return SCRIPT_TWIN_FALLBACK;
    const deadLetterFields: string[][] = [];
    let at = 8 + docs * 2;
    for (let d = 0; d < deadLetters; d++) {
      const count = integer(args[at]);
      if (count === undefined || count < 0 || at + count >= args.length) {
        return SCRIPT_TWIN_FALLBACK;
      }
      deadLetterFields.push(args.slice(at + 1, at + 1 + count));
      at += count + 1;
    }
    if (args.length < at + attempts) return SCRIPT_TWIN_FALLBACK;
    const attemptFields = args.slice(at, at + attempts);

    if (token !== "") {
      const current = redis.call(commitLines.fence, "GET", keys[1] as string);
      if (current !== token) return ["fenced", typeof current === "string" ? current : "0"];
    }
    let position = "0-0";
    let count = 0;
    const stored = redis.call(commitLines.checkpoint, "HGET", keys[0] as string, field);
    if (typeof stored === "string") {
      // "^([^|]+)|(%d+)$". A hand-written value without it leaves position nil in the Lua, which
      // then replies {"checkpoint", nil}: the reply array ends at the nil.
      const match = /^([^|]+)\|(\d+)$/s.exec(stored);
      if (match === null) return ["checkpoint", undefined];
      position = match[1] as string;
      count = Number(match[2]);
    }
    if (position !== expectedPosition) return ["checkpoint", position];
    const stale: LuaValue[] = ["revision"];
    for (let i = 1; i <= docs; i++) {
      const current = redis.call(commitLines.document, "GET", keys[3 + i] as string);
      if (revisionOf(current) !== expectedRevisions[i - 1]) stale.push(i);
    }
    if (stale.length > 1) return stale;
    for (let i = 1; i <= docs; i++) {
      redis.call(commitLines.write, "SET", keys[3 + i] as string, args[9 + (i - 1) * 2] as string);
    }
    redis.call(
      commitLines.position,
      "HSET",
      keys[0] as string,
      field,
      `${newPosition}|${formatInteger(count + delta)}`,
    );
    for (const fields of deadLetterFields) {
      redis.call(commitLines.deadLetter, "XADD", keys[2] as string, "*", ...fields);
    }
    for (const attempt of attemptFields) {
      redis.call(commitLines.attempts, "HDEL", keys[3] as string, attempt);
    }
    return ["ok"];
  },
};

const deadLetterLines = {
  exists: scriptLine(DEAD_LETTER_COMMIT_SCRIPT, 'if #redis.call("XRANGE"'),
  document: scriptLine(DEAD_LETTER_COMMIT_SCRIPT, 'local current = redis.call("GET"'),
  write: scriptLine(DEAD_LETTER_COMMIT_SCRIPT, 'redis.call("SET"'),
  remove: scriptLine(DEAD_LETTER_COMMIT_SCRIPT, 'redis.call("XDEL"'),
};

/**
 * Twin of the projections' `DEAD_LETTER_COMMIT_SCRIPT`: applies a retried dead letter's
 * documents and deletes the dead letter, at most once.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, DEAD_LETTER_COMMIT_SCRIPT_TWIN] });
 * ```
 */
export const DEAD_LETTER_COMMIT_SCRIPT_TWIN: ScriptTwin = {
  name: "projections dead-letter commit",
  source: DEAD_LETTER_COMMIT_SCRIPT,
  portedFromSha1: "a9dce7b32a2027acc7d639d9e30096290849f73f",
  run(redis, keys, args) {
    const deadLetters = keys[0];
    const id = args[0];
    const docs = integer(args[1]);
    if (deadLetters === undefined || id === undefined || docs === undefined || docs < 0) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (keys.length < 1 + docs) return SCRIPT_TWIN_FALLBACK;
    const expectedRevisions = expectedRevisionsOf(args, 2, docs);
    if (expectedRevisions === undefined) return SCRIPT_TWIN_FALLBACK;
    const found = redis.call(deadLetterLines.exists, "XRANGE", deadLetters, id, id) as LuaValue[];
    if (found.length === 0) return ["gone"];
    for (let i = 1; i <= docs; i++) {
      const current = redis.call(deadLetterLines.document, "GET", keys[i] as string);
      if (revisionOf(current) !== expectedRevisions[i - 1]) return ["revision"];
    }
    for (let i = 1; i <= docs; i++) {
      redis.call(
        deadLetterLines.write,
        "SET",
        keys[i] as string,
        args[2 + (i - 1) * 2 + 1] as string,
      );
    }
    redis.call(deadLetterLines.remove, "XDEL", deadLetters, id);
    return ["ok"];
  },
};

const acquireLines = {
  get: scriptLine(ACQUIRE_LEASE_SCRIPT, 'local current = redis.call("GET"'),
  extend: scriptLine(ACQUIRE_LEASE_SCRIPT, 'redis.call("PEXPIRE"'),
  fence: scriptLine(ACQUIRE_LEASE_SCRIPT, 'local token = redis.call("INCR"'),
  take: scriptLine(ACQUIRE_LEASE_SCRIPT, 'redis.call("SET"'),
};

/**
 * Twin of the projections' `ACQUIRE_LEASE_SCRIPT`: takes a free lease with a new fence token,
 * extends the holder's own lease, answers 0 when another worker holds it.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, ACQUIRE_LEASE_SCRIPT_TWIN] });
 * ```
 */
export const ACQUIRE_LEASE_SCRIPT_TWIN: ScriptTwin = {
  name: "projections acquire lease",
  source: ACQUIRE_LEASE_SCRIPT,
  portedFromSha1: "4675b75d1941cf9c2d85fe5f241514d89ab05804",
  run(redis, keys, args) {
    const [lease, fence] = keys;
    const [worker, ttl] = args;
    if (lease === undefined || fence === undefined || worker === undefined || ttl === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    const current = redis.call(acquireLines.get, "GET", lease);
    if (typeof current === "string") {
      // "^(.*)|(%d+)$": Lua's "." matches newlines too.
      const match = /^(.*)\|(\d+)$/s.exec(current);
      if (match !== null && match[1] === worker) {
        redis.call(acquireLines.extend, "PEXPIRE", lease, ttl);
        return Number(match[2]);
      }
      return 0;
    }
    const token = redis.call(acquireLines.fence, "INCR", fence) as number;
    redis.call(acquireLines.take, "SET", lease, `${worker}|${formatInteger(token)}`, "PX", ttl);
    return token;
  },
};

const renewLines = {
  get: scriptLine(RENEW_LEASE_SCRIPT, 'if redis.call("GET"'),
  release: scriptLine(RENEW_LEASE_SCRIPT, 'redis.call("DEL"'),
  extend: scriptLine(RENEW_LEASE_SCRIPT, 'redis.call("PEXPIRE"'),
};

/**
 * Twin of the projections' `RENEW_LEASE_SCRIPT`: renews or releases a lease only while it is
 * still held as `<worker>|<token>`.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, RENEW_LEASE_SCRIPT_TWIN] });
 * ```
 */
export const RENEW_LEASE_SCRIPT_TWIN: ScriptTwin = {
  name: "projections renew lease",
  source: RENEW_LEASE_SCRIPT,
  portedFromSha1: "ecbe1c8eac406b3035e5f7c4ac1056cb1f506600",
  run(redis, keys, args) {
    const lease = keys[0];
    const [holder, ttlOrRelease] = args;
    if (lease === undefined || holder === undefined || ttlOrRelease === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    if (redis.call(renewLines.get, "GET", lease) !== holder) return 0;
    if (ttlOrRelease === "release") redis.call(renewLines.release, "DEL", lease);
    else redis.call(renewLines.extend, "PEXPIRE", lease, ttlOrRelease);
    return 1;
  },
};

const heartbeatLines = {
  time: scriptLine(HEARTBEAT_SCRIPT, 'local time = redis.call("TIME")'),
  leave: scriptLine(HEARTBEAT_SCRIPT, 'redis.call("HDEL", KEYS[1], ARGV[1])'),
  beat: scriptLine(HEARTBEAT_SCRIPT, 'redis.call("HSET"'),
  all: scriptLine(HEARTBEAT_SCRIPT, 'local all = redis.call("HGETALL"'),
  expire: scriptLine(HEARTBEAT_SCRIPT, 'redis.call("HDEL", KEYS[1], all[i])'),
};

/**
 * Twin of the projections' `HEARTBEAT_SCRIPT`: records a worker's expiry on the server clock (or
 * removes it), drops expired members, answers the live ones in hash order.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, HEARTBEAT_SCRIPT_TWIN] });
 * ```
 */
export const HEARTBEAT_SCRIPT_TWIN: ScriptTwin = {
  name: "projections heartbeat",
  source: HEARTBEAT_SCRIPT,
  portedFromSha1: "b49171135626d9bac0fd8845702dcb77aad3399e",
  run(redis, keys, args) {
    const members = keys[0];
    const [worker, ttlOrLeave] = args;
    if (members === undefined || worker === undefined || ttlOrLeave === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    const ttl = ttlOrLeave === "leave" ? 0 : integer(ttlOrLeave);
    if (ttl === undefined) return SCRIPT_TWIN_FALLBACK;
    // The loop compares `tonumber(value) <= now`: a value Lua does not read as a number raises
    // there, after the script's first write. Look before writing (a read changes nothing).
    const before = redis.pcall("HGETALL", members);
    if (Array.isArray(before)) {
      for (let i = 0; i + 1 < before.length; i += 2) {
        if (before[i] !== worker && integer(before[i + 1] as string) === undefined) {
          return SCRIPT_TWIN_FALLBACK;
        }
      }
    }
    const time = redis.call(heartbeatLines.time, "TIME") as string[];
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    if (ttlOrLeave === "leave") {
      redis.call(heartbeatLines.leave, "HDEL", members, worker);
    } else {
      // string.format("%.0f", ...) of an integral double: its digits.
      redis.call(heartbeatLines.beat, "HSET", members, worker, formatInteger(now + ttl));
    }
    const all = redis.call(heartbeatLines.all, "HGETALL", members) as string[];
    const live: LuaValue[] = [];
    for (let i = 0; i + 1 < all.length; i += 2) {
      if (Number(all[i + 1]) <= now) {
        redis.call(heartbeatLines.expire, "HDEL", members, all[i] as string);
      } else {
        live.push(all[i] as string);
      }
    }
    return live;
  },
};

const switchLines = {
  get: scriptLine(SWITCH_ACTIVE_BUILD_SCRIPT, 'local current = redis.call("GET"'),
  set: scriptLine(SWITCH_ACTIVE_BUILD_SCRIPT, 'redis.call("SET"'),
};

/**
 * Twin of the read-model store's inline active-build compare-and-set
 * ({@link SWITCH_ACTIVE_BUILD_SCRIPT}).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, SWITCH_ACTIVE_BUILD_SCRIPT_TWIN] });
 * ```
 */
export const SWITCH_ACTIVE_BUILD_SCRIPT_TWIN: ScriptTwin = {
  name: "projections switch active build",
  source: SWITCH_ACTIVE_BUILD_SCRIPT,
  portedFromSha1: "cb10c2c8758160f4a3d089ca30c05a0cd57fc4b2",
  run(redis, keys, args) {
    const key = keys[0];
    const [expected, next] = args;
    if (key === undefined || expected === undefined || next === undefined) {
      return SCRIPT_TWIN_FALLBACK;
    }
    const current = redis.call(switchLines.get, "GET", key);
    if ((typeof current === "string" ? current : "") !== expected) return 0;
    redis.call(switchLines.set, "SET", key, next);
    return 1;
  },
};

/**
 * The twins of `@streamstore/projections`' scripts, registered by default by `createFakeRedis` of
 * @streamstore/testing beside core's `CORE_SCRIPT_TWINS` (`WRITE_DOCUMENT_SCRIPT` has none: it runs
 * in the fake's Lua).
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...CORE_SCRIPT_TWINS, ...PROJECTION_SCRIPT_TWINS] });
 * ```
 */
export const PROJECTION_SCRIPT_TWINS: readonly ScriptTwin[] = [
  COMMIT_SCRIPT_TWIN,
  DEAD_LETTER_COMMIT_SCRIPT_TWIN,
  ACQUIRE_LEASE_SCRIPT_TWIN,
  RENEW_LEASE_SCRIPT_TWIN,
  HEARTBEAT_SCRIPT_TWIN,
  SWITCH_ACTIVE_BUILD_SCRIPT_TWIN,
];
