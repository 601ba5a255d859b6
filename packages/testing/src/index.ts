export {
  APPEND_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  createFakeRedis,
  createManualClock,
  DEFAULT_FAKE_REDIS_OPTIONS,
  type FakeClock,
  type FakeRedis,
  type FakeRedisControls,
  type FakeRedisData,
  type FakeRedisOptions,
  type FakeRedisSnapshot,
  type LuaValue,
  type ManualClock,
  SCRIPT_TWIN_FALLBACK,
  type ScriptRunCounts,
  type ScriptTwin,
  type ScriptTwinRedis,
  SNAPSHOT_SCRIPT_TWIN,
  scriptLine,
  systemClock,
  VERSION_SCRIPT_TWIN,
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
