export {
  type RedisClusterHandle,
  type RedisClusterNode,
  type RedisClusterNodeRole,
  type StartRedisClusterOptions,
  startRedisCluster,
} from "./startRedisCluster.js";
