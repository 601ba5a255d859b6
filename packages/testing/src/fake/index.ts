export {
  createFakeRedis,
  DEFAULT_FAKE_REDIS_OPTIONS,
  type FakeRedis,
  type FakeRedisControls,
  type FakeRedisOptions,
} from "./createFakeRedis.js";
export {
  createManualClock,
  type FakeClock,
  type ManualClock,
  systemClock,
} from "./createManualClock.js";
export type { FakeRedisData, FakeRedisSnapshot } from "./FakeRedisSnapshot.js";
export type { ScriptRunCounts } from "./ScriptCache.js";
export {
  APPEND_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinRedis,
  SNAPSHOT_SCRIPT_TWIN,
  scriptLine,
  VERSION_SCRIPT_TWIN,
} from "./scriptTwins/index.js";
