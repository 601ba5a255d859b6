export {
  createInMemoryArchive,
  type InMemoryArchive,
  type InMemoryArchiveControls,
  type InMemoryArchiveOptions,
} from "./archive/createInMemoryArchive.js";
export {
  ACQUIRE_LEASE_SCRIPT_TWIN,
  APPEND_SCRIPT_TWIN,
  COMMIT_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  createFakeRedis,
  createManualClock,
  DEAD_LETTER_COMMIT_SCRIPT_TWIN,
  DEFAULT_FAKE_REDIS_OPTIONS,
  type FakeClock,
  type FakeRedis,
  type FakeRedisControls,
  type FakeRedisData,
  type FakeRedisOptions,
  type FakeRedisSnapshot,
  HEARTBEAT_SCRIPT_TWIN,
  type LuaValue,
  type ManualClock,
  PROJECTION_SCRIPT_TWINS,
  READ_SCRIPT_TWIN,
  RENEW_LEASE_SCRIPT_TWIN,
  SCRIPT_TWIN_FALLBACK,
  type ScriptRunCounts,
  type ScriptTwin,
  type ScriptTwinRedis,
  SNAPSHOT_SCRIPT_TWIN,
  SWITCH_ACTIVE_BUILD_SCRIPT_TWIN,
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
export * from "./postgresServer/index.js";
export * from "./redisCluster/index.js";
export * from "./redisServer/index.js";
export * from "./specification/index.js";
