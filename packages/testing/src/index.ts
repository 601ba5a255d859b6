export {
  getFreePort,
  hasRedisServerBinary,
  type RedisServerHandle,
  type StartRedisServerOptions,
  startRedisServer,
} from "./redisServer/startRedisServer.js";
