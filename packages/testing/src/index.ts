/**
 * What users of @streamstore/testing call. What the sibling packages and this package's tests need
 * and users should not call is in ./internal.ts ("@streamstore/testing/internal");
 * test/publicApi.exports.unit.spec.ts pins the runtime names.
 */
export { scriptLine } from "@streamstore/core/internal";
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
export type { FakeRedisData, FakeRedisSnapshot, ScriptRunCounts } from "./fake/index.js";
export {
  createManualClock,
  createStandaloneFakeRedis,
  type FakeClock,
  type FakeRedis,
  type FakeRedisControls,
  type LuaValue,
  type ManualClock,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  type ScriptTwinFallback,
  type ScriptTwinRedis,
  type StandaloneFakeRedisOptions,
} from "./fake/index.js";
export {
  type ProxyVerdict,
  startTcpProxy,
  type TcpProxy,
  type TcpProxyOptions,
} from "./faults/startTcpProxy.js";
export {
  type LogRecord,
  type RecordingLogger,
  recordingLogger,
} from "./logging/recordingLogger.js";
export {
  createPostgresTestDatabase,
  type PostgresTestDatabase,
  type PostgresTestDatabaseOptions,
} from "./postgresServer/createPostgresTestDatabase.js";
export {
  hasPostgresServerBinaries,
  type PostgresServerHandle,
  type PostgresStopMode,
  type StartPostgresServerOptions,
  startPostgresServer,
} from "./postgresServer/startPostgresServer.js";
export {
  type RedisClusterHandle,
  type RedisClusterNode,
  type RedisClusterNodeRole,
  type StartRedisClusterOptions,
  startRedisCluster,
} from "./redisCluster/startRedisCluster.js";
export {
  type CreateTestCertificatesOptions,
  createTestCertificates,
  type TestCertificates,
} from "./redisServer/createTestCertificates.js";
export {
  getFreePort,
  hasRedisServerBinary,
  type RedisServerHandle,
  type RedisServerTlsFiles,
  type StartRedisServerOptions,
  startRedisServer,
} from "./redisServer/startRedisServer.js";
export {
  startTlsRedisServer,
  type TlsRedisServerHandle,
} from "./redisServer/startTlsRedisServer.js";
export {
  type DeciderThen,
  type DeciderWhen,
  deciderSpecification,
  type ErrorExpectation,
} from "./specification/deciderSpecification.js";
export {
  onStream,
  type ProjectionGiven,
  type ProjectionGivenEvent,
  type ProjectionSpecificationOptions,
  type ProjectionSpecificationReport,
  type ProjectionThen,
  projectionSpecification,
} from "./specification/projectionSpecification.js";
