export {
  type CreateTestCertificatesOptions,
  createTestCertificates,
  type TestCertificates,
} from "./createTestCertificates.js";
export { redisTimeMs, waitForRedisTime, waitForRedisTimePast } from "./redisTime.js";
export {
  getFreePort,
  hasRedisServerBinary,
  type RedisServerHandle,
  type RedisServerTlsFiles,
  type StartRedisServerOptions,
  startRedisServer,
} from "./startRedisServer.js";
export { startTlsRedisServer, type TlsRedisServerHandle } from "./startTlsRedisServer.js";
