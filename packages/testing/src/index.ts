export {
  getFreePort,
  hasRedisServerBinary,
  type RedisServerHandle,
  type StartRedisServerOptions,
  startRedisServer,
} from "./redisServer/startRedisServer.js";
export {
  createFakeRedis,
  createManualClock,
  DEFAULT_FAKE_REDIS_OPTIONS,
  type FakeClock,
  type FakeRedis,
  type FakeRedisControls,
  type FakeRedisData,
  type FakeRedisOptions,
  type FakeRedisSnapshot,
  type ManualClock,
  systemClock,
} from "./fake/index.js";
