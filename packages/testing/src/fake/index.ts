// The in-memory fake on its own: it imports nothing from the toolkit's packages (a unit test
// checks), and knows the toolkit's scripts only through the twins handed to it.

export {
  createManualClock,
  type FakeClock,
  type ManualClock,
  systemClock,
} from "./createManualClock.js";
export {
  createStandaloneFakeRedis,
  type FakeRedis,
  type FakeRedisControls,
  type StandaloneFakeRedisOptions,
} from "./createStandaloneFakeRedis.js";
export type { FakeRedisData, FakeRedisSnapshot } from "./FakeRedisSnapshot.js";
export type { ScriptRunCounts } from "./ScriptCache.js";
export {
  type LuaValue,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinFallback,
  type ScriptTwinRedis,
} from "./scriptTwins/index.js";
