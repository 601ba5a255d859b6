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
  ACQUIRE_LEASE_SCRIPT_TWIN,
  APPEND_SCRIPT_TWIN,
  COMMIT_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  DEAD_LETTER_COMMIT_SCRIPT_TWIN,
  HEARTBEAT_SCRIPT_TWIN,
  type LuaValue,
  PROJECTION_SCRIPT_TWINS,
  READ_SCRIPT_TWIN,
  RENEW_LEASE_SCRIPT_TWIN,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinRedis,
  SNAPSHOT_SCRIPT_TWIN,
  SWITCH_ACTIVE_BUILD_SCRIPT_TWIN,
  scriptLine,
  VERSION_SCRIPT_TWIN,
} from "./scriptTwins/index.js";
