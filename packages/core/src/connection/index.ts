export * from "./connectRedis.js";
export {
  connectionFailure,
  describeRedisClient,
  type RedisFailureKind,
  redisFailureKind,
} from "./redisFailure.js";
export * from "./redisUrl.js";
