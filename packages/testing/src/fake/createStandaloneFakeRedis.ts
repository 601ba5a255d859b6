import type { Redis, RedisOptions } from "ioredis";
import { type FakeClock, systemClock } from "./createManualClock.js";
import { FakeRedisClient } from "./FakeRedisClient.js";
import { FakeRedisServer } from "./FakeRedisServer.js";
import {
  type FakeRedisData,
  type FakeRedisSnapshot,
  restoreSnapshot,
  seedData,
  takeSnapshot,
} from "./FakeRedisSnapshot.js";
import { indexScriptTwins, type ScriptRunCounts } from "./ScriptCache.js";
import type { ScriptTwin } from "./scriptTwins/ScriptTwin.js";

/**
 * What a fake adds to the ioredis `Redis` API: its clock and its data as a whole.
 *
 * @example
 * ```ts
 * const snapshot = redis.snapshot();
 * await redis.xadd("s", "*", "a", "1");
 * redis.restoreSnapshot(snapshot);
 * ```
 */
export interface FakeRedisControls {
  /** The clock that drives `*` ids, idle times, TIME and expiry. */
  readonly clock: FakeClock;
  /** A deep copy of all data (and cached scripts), shared by every `duplicate()`. */
  snapshot(): FakeRedisSnapshot;
  /**
   * Replaces all data with a deep copy of `snapshot`. (Not `restore`: that name is ioredis's
   * RESTORE command, which a drop-in must keep.)
   */
  restoreSnapshot(snapshot: FakeRedisSnapshot): void;
  /**
   * How many script runs were served by a native twin and how many by the Lua VM, across every
   * `duplicate()`: a quick check that a hot script really has a twin.
   */
  scriptRunCounts(): ScriptRunCounts;
}

/**
 * A fake client: usable anywhere an ioredis `Redis` is expected.
 *
 * @example
 * ```ts
 * const redis: FakeRedis = createFakeRedis();
 * const plain: Redis = redis;
 * ```
 */
export type FakeRedis = Redis & FakeRedisControls;

/**
 * Options of {@link createStandaloneFakeRedis}. ioredis options (`keyPrefix`, `db`,
 * `connectionName`, `lazyConnect`...) apply as they would to `new Redis()`; connection options
 * are ignored.
 *
 * @example
 * ```ts
 * const options: StandaloneFakeRedisOptions = { clock: createManualClock(0), keyPrefix: "test:" };
 * ```
 */
export interface StandaloneFakeRedisOptions extends RedisOptions {
  /** Time source; defaults to the wall clock (`Date.now()`). */
  clock?: FakeClock;
  /** Initial data of database 0. Applied after `snapshot`. */
  data?: FakeRedisData;
  /** Start from a copy of this snapshot (see {@link FakeRedisControls.snapshot}). */
  snapshot?: FakeRedisSnapshot;
  /**
   * Native JS twins run in place of the Lua scripts whose source they match exactly (by SHA1),
   * whether the script runs by EVAL/EVALSHA or as a function of a library (FCALL); every other
   * script runs in the Lua VM. None by default.
   */
  scriptTwins?: readonly ScriptTwin[];
}

const NO_TWINS: readonly ScriptTwin[] = [];

/** Each list of twins is hashed once: a test suite creates many fakes from the same list. */
const twinIndexes = new WeakMap<readonly ScriptTwin[], ReadonlyMap<string, ScriptTwin>>();

function twinIndex(twins: readonly ScriptTwin[]): ReadonlyMap<string, ScriptTwin> {
  let index = twinIndexes.get(twins);
  if (index === undefined) {
    index = indexScriptTwins(twins);
    twinIndexes.set(twins, index);
  }
  return index;
}

class ControlledFakeRedisClient extends FakeRedisClient implements FakeRedisControls {
  get clock(): FakeClock {
    return this.fakeServer.clock;
  }

  snapshot(): FakeRedisSnapshot {
    return takeSnapshot(this.fakeServer);
  }

  restoreSnapshot(snapshot: FakeRedisSnapshot): void {
    restoreSnapshot(this.fakeServer, snapshot);
  }

  scriptRunCounts(): ScriptRunCounts {
    const { scripts, functions } = this.fakeServer;
    return {
      twin: scripts.runs.twin + functions.scripts.runs.twin,
      lua: scripts.runs.lua + functions.scripts.runs.lua,
    };
  }

  protected override createDuplicate(options: RedisOptions): FakeRedisClient {
    return new ControlledFakeRedisClient(this.fakeServer, options);
  }
}

/**
 * Creates an in-memory Redis 7.0 that speaks the ioredis 6 API: streams with consumer groups,
 * strings, hashes, sets, sorted sets, expiry, MULTI/EXEC, WATCH, Lua scripts, Redis Functions and
 * blocking reads. `duplicate()` opens another connection to the same data. The fake itself knows
 * no script: `scriptTwins` lists the native twins to run in place of Lua (`createFakeRedis` of
 * @streamstore/testing passes the toolkit's own by default).
 *
 * @example
 * ```ts
 * const redis = createStandaloneFakeRedis({ clock: createManualClock(1_700_000_000_000) });
 * await redis.xgroup("CREATE", "orders", "billing", "$", "MKSTREAM");
 * await redis.xadd("orders", "*", "type", "placed");
 * const reader = redis.duplicate();
 * await reader.xreadgroup("GROUP", "billing", "w1", "COUNT", 10, "STREAMS", "orders", ">");
 * ```
 */
export function createStandaloneFakeRedis(options: StandaloneFakeRedisOptions = {}): FakeRedis {
  const { clock, data, snapshot, scriptTwins, ...redisOptions } = options;
  const server = new FakeRedisServer(clock ?? systemClock, twinIndex(scriptTwins ?? NO_TWINS));
  if (snapshot !== undefined) restoreSnapshot(server, snapshot);
  if (data !== undefined) seedData(server, data);
  return new ControlledFakeRedisClient(server, redisOptions) as unknown as FakeRedis;
}
