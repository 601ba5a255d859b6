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
