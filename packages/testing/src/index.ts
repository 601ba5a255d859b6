export {
  APPEND_SCRIPT_TWIN,
  CORE_SCRIPT_TWINS,
  READ_SCRIPT_TWIN,
  SNAPSHOT_SCRIPT_TWIN,
  scriptLine,
  VERSION_SCRIPT_TWIN,
} from "@streamstore/core/internal";
export {
  ACQUIRE_LEASE_SCRIPT_TWIN,
  COMMIT_SCRIPT_TWIN,
  DEAD_LETTER_COMMIT_SCRIPT_TWIN,
  HEARTBEAT_SCRIPT_TWIN,
  PROJECTION_SCRIPT_TWINS,
  RENEW_LEASE_SCRIPT_TWIN,
  SWITCH_ACTIVE_BUILD_SCRIPT_TWIN,
} from "@streamstore/projections/internal";
export {
  createInMemoryArchive,
  type InMemoryArchive,
  type InMemoryArchiveControls,
  type InMemoryArchiveOptions,
} from "./archive/createInMemoryArchive.js";
export {
  createFakeRedis,
  DEFAULT_FAKE_REDIS_OPTIONS,
  type FakeRedisOptions,
  TOOLKIT_SCRIPT_TWINS,
} from "./createFakeRedis.js";
export {
  createManualClock,
  createStandaloneFakeRedis,
  type FakeClock,
  type FakeRedis,
  type FakeRedisControls,
  type FakeRedisData,
  type FakeRedisSnapshot,
  type LuaValue,
  type ManualClock,
  SCRIPT_TWIN_FALLBACK,
  type ScriptRunCounts,
  type ScriptTwin,
  type ScriptTwinFallback,
  type ScriptTwinRedis,
  type StandaloneFakeRedisOptions,
  systemClock,
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
