/**
 * Starts a private Redis Cluster (3 primaries, 1 replica each, on free loopback ports) and prints
 * its ports until Ctrl-C, then stops it and deletes its files.
 *
 * @example
 * pnpm exec tsx --conditions=@streamstore/source scripts/redis-cluster.ts
 * // primary 127.0.0.1:41235 ...; then: redis-cli -c -p 41235
 */
import { startRedisCluster } from "@streamstore/testing";

const cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
for (const node of cluster.nodes) {
  console.log(
    `${node.role.padEnd(7)} 127.0.0.1:${node.port}  pid ${node.process.pid}  id ${node.id}`,
  );
}
console.log(
  `startupNodes: ${JSON.stringify(cluster.startupNodes)}\nredis-cli -c -p ${cluster.startupNodes[0]?.port}\nCtrl-C stops the cluster.`,
);
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  console.log("cluster stopped");
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
