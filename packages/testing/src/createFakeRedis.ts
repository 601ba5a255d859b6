import { CORE_SCRIPT_TWINS } from "@streamstore/core/internal";
import { PROJECTION_SCRIPT_TWINS } from "@streamstore/projections/internal";
import { systemClock } from "./fake/createManualClock.js";
import {
  createStandaloneFakeRedis,
  type FakeRedis,
  type StandaloneFakeRedisOptions,
} from "./fake/createStandaloneFakeRedis.js";
import type { ScriptTwin } from "./fake/scriptTwins/ScriptTwin.js";

/**
 * The twins of the toolkit's own scripts, which {@link createFakeRedis} registers by default:
 * core's (`CORE_SCRIPT_TWINS`, written beside the event store's scripts) then projections'
 * (`PROJECTION_SCRIPT_TWINS`, beside the read model's). Core and projections declare the twin
 * shape themselves, so that they never depend on this package: this list is where the compiler
 * checks that it is the shape the fake runs.
 *
 * @example
 * ```ts
 * createFakeRedis({ scriptTwins: [...TOOLKIT_SCRIPT_TWINS, myScriptTwin] });
 * ```
 */
export const TOOLKIT_SCRIPT_TWINS: readonly ScriptTwin[] = [
  ...CORE_SCRIPT_TWINS,
  ...PROJECTION_SCRIPT_TWINS,
];

/**
 * Options of {@link createFakeRedis}: those of the fake itself, with `scriptTwins` defaulting to
 * the toolkit's twins.
 *
 * @example
 * ```ts
 * const options: FakeRedisOptions = { clock: createManualClock(0), keyPrefix: "test:" };
 * ```
 */
export interface FakeRedisOptions extends Omit<StandaloneFakeRedisOptions, "scriptTwins"> {
  /**
   * Native JS twins run in place of Lua scripts whose source they match exactly (by SHA1):
   * `true` (default) uses {@link TOOLKIT_SCRIPT_TWINS}, `false` runs every script in the Lua VM
   * (slower, for checking a twin against its Lua), a list uses exactly those twins (add yours to
   * `TOOLKIT_SCRIPT_TWINS` to keep the toolkit's).
   */
  scriptTwins?: boolean | readonly ScriptTwin[];
}

/**
 * Defaults of {@link createFakeRedis}: the wall clock, no data, the toolkit's script twins.
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

/**
 * Creates an in-memory Redis 7.0 that speaks the ioredis 6 API (streams with consumer groups,
 * strings, hashes, sets, sorted sets, expiry, MULTI/EXEC, WATCH, Lua scripts, Redis Functions,
 * blocking reads), with the toolkit's scripts served by their native twins.
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
  const { scriptTwins = DEFAULT_FAKE_REDIS_OPTIONS.scriptTwins, ...fakeOptions } = options;
  return createStandaloneFakeRedis({
    clock: DEFAULT_FAKE_REDIS_OPTIONS.clock,
    ...fakeOptions,
    scriptTwins:
      scriptTwins === true ? TOOLKIT_SCRIPT_TWINS : scriptTwins === false ? [] : scriptTwins,
  });
}
