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
export {
  type ProxyVerdict,
  startTcpProxy,
  type TcpProxy,
  type TcpProxyOptions,
} from "./faults/startTcpProxy.js";
export * from "./redisCluster/index.js";
export {
  getFreePort,
  hasRedisServerBinary,
  type RedisServerHandle,
  type StartRedisServerOptions,
  startRedisServer,
} from "./redisServer/startRedisServer.js";
export * from "./specification/index.js";
