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
import { CORE_SCRIPT_TWINS } from "./scriptTwins/coreScriptTwins.js";
import { PROJECTION_SCRIPT_TWINS } from "./scriptTwins/projectionScriptTwins.js";
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
 * Options of {@link createFakeRedis}. ioredis options (`keyPrefix`, `db`, `connectionName`,
 * `lazyConnect`...) apply as they would to `new Redis()`; connection options are ignored.
 *
 * @example
 * ```ts
 * const options: FakeRedisOptions = { clock: createManualClock(0), keyPrefix: "test:" };
 * ```
 */
export interface FakeRedisOptions extends RedisOptions {
  /** Time source; defaults to the wall clock (`Date.now()`). */
  clock?: FakeClock;
  /** Initial data of database 0. Applied after `snapshot`. */
  data?: FakeRedisData;
  /** Start from a copy of this snapshot (see {@link FakeRedisControls.snapshot}). */
  snapshot?: FakeRedisSnapshot;
  /**
   * Native JS twins run in place of Lua scripts whose source they match exactly (by SHA1):
   * `true` (default) uses {@link CORE_SCRIPT_TWINS} and {@link PROJECTION_SCRIPT_TWINS}, `false` runs every script in the Lua VM
   * (slower, for checking a twin against its Lua), a list uses exactly those twins.
   */
  scriptTwins?: boolean | readonly ScriptTwin[];
}

/**
 * Defaults of {@link createFakeRedis}: the wall clock, no data, core's and projections' script twins.
 *
 * @example
 * ```ts
 * createFakeRedis({ ...DEFAULT_FAKE_REDIS_OPTIONS, keyPrefix: "t:" });
 * ```
 */
export const DEFAULT_FAKE_REDIS_OPTIONS: Readonly<Pick<FakeRedisOptions, "clock" | "scriptTwins">> =
  {
    clock: systemClock,
    scriptTwins: true,
  };

let coreTwins: ReadonlyMap<string, ScriptTwin> | undefined;
/** The default index, hashed once: a test suite creates many fakes. */
function coreTwinIndex(): ReadonlyMap<string, ScriptTwin> {
  coreTwins ??= indexScriptTwins([...CORE_SCRIPT_TWINS, ...PROJECTION_SCRIPT_TWINS]);
  return coreTwins;
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
 * strings, hashes, sets, sorted sets, expiry, MULTI/EXEC, WATCH, Lua scripts and blocking reads.
 * `duplicate()` opens another connection to the same data.
 *
 * @example
 * ```ts
 * const redis = createFakeRedis({ clock: createManualClock(1_700_000_000_000) });
 * await redis.xgroup("CREATE", "orders", "billing", "$", "MKSTREAM");
 * await redis.xadd("orders", "*", "type", "placed");
 * const reader = redis.duplicate();
 * await reader.xreadgroup("GROUP", "billing", "w1", "COUNT", 10, "STREAMS", "orders", ">");
 * ```
 */
export function createFakeRedis(options: FakeRedisOptions = {}): FakeRedis {
  const { clock, data, snapshot, scriptTwins, ...redisOptions } = options;
  const twins = scriptTwins ?? DEFAULT_FAKE_REDIS_OPTIONS.scriptTwins;
  const server = new FakeRedisServer(
    clock ?? DEFAULT_FAKE_REDIS_OPTIONS.clock,
    twins === true ? coreTwinIndex() : indexScriptTwins(twins === false ? [] : (twins ?? [])),
  );
  if (snapshot !== undefined) restoreSnapshot(server, snapshot);
  if (data !== undefined) seedData(server, data);
  return new ControlledFakeRedisClient(server, redisOptions) as unknown as FakeRedis;
}
