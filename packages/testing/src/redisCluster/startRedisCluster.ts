import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import {
  getFreePort,
  type RedisServerHandle,
  startRedisServer,
} from "../redisServer/startRedisServer.js";

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Primaries sharing the 16,384 slots. Default 3 (the fewest `redis-cli --cluster` accepts). */
  primaries?: number;
  /** Replicas of each primary. Default 1. */
  replicasPerPrimary?: number;
  /**
   * `cluster-node-timeout` in ms: how long a primary may be unreachable before its replica is
   * promoted. Default 1,500, short so that failover tests take seconds (production: 15,000).
   */
  nodeTimeoutMs?: number;
  /** The `redis-server` binary. Default `redis-server` from `PATH`. */
  binary?: string;
  /** The `redis-cli` binary that joins the nodes. Default `redis-cli` from `PATH`. */
  cliBinary?: string;
  /** Extra `redis-server` arguments for every node, e.g. `["--appendonly", "yes"]`. */
  args?: string[];
  /** How long to wait for the cluster to be formed and every slot served, in ms. Default 30,000. */
  startTimeoutMs?: number;
}

/** The role a node had when {@link startRedisCluster} returned (a failover changes it). */
export type RedisClusterNodeRole = "primary" | "replica";

/** One `redis-server` of a cluster started by {@link startRedisCluster}. */
export interface RedisClusterNode {
  /** Its client port on 127.0.0.1 (the cluster bus is on another free port). */
  port: number;
  /** Its role once the cluster was formed. */
  role: RedisClusterNodeRole;
  /** Its cluster node id (`CLUSTER MYID`). */
  id: string;
  /** For a replica: the node id of its primary. */
  primaryId?: string;
  /** The child process: `process.kill("SIGKILL")` simulates a crashed node. */
  process: ChildProcess;
  /** The server handle (its data directory, its own `stop()`). */
  server: RedisServerHandle;
}

/** A cluster started by {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** Every node, primaries first. */
  nodes: RedisClusterNode[];
  /** The primaries' addresses, for `new Cluster(startupNodes)`. */
  startupNodes: { host: string; port: number }[];
  /** Stops every node (SIGTERM, then SIGKILL after 5 s) and removes the temporary directory. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

/** Whether the node sees the whole cluster healthy: state ok, every slot served, every node known. */
async function nodeReady(client: Redis, nodeCount: number): Promise<boolean> {
  const info = (await client.call("CLUSTER", "INFO")) as string;
  if (infoField(info, "cluster_state") !== "ok") return false;
  if (infoField(info, "cluster_slots_ok") !== "16384") return false;
  if (Number(infoField(info, "cluster_known_nodes")) !== nodeCount) return false;
  const role = infoField((await client.info("replication")) as string, "role");
  if (role === "slave") {
    // A replica that has not synced yet could not take over: wait for its link.
    const replication = (await client.info("replication")) as string;
    if (infoField(replication, "master_link_status") !== "up") return false;
  }
  return true;
}

/**
 * Starts a private Redis Cluster of real `redis-server` processes on free loopback ports (no
 * persistence, a short node timeout), joins them with `redis-cli --cluster create`, and waits
 * until every node reports `cluster_state:ok` with all 16,384 slots served and every replica in
 * sync. Nothing shared is touched; `stop()` kills every node and deletes the temporary directory.
 *
 * @example
 * const cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
 * const redis = new Cluster(cluster.startupNodes);
 * // ... test ...
 * await redis.quit();
 * await cluster.stop();
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisClusterHandle> {
  const primaries = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  if (!Number.isSafeInteger(primaries) || primaries < 3) {
    throw new Error(
      "[streamstore] a Redis Cluster needs at least 3 primaries: pass primaries >= 3.",
    );
  }
  if (!Number.isSafeInteger(replicasPerPrimary) || replicasPerPrimary < 0) {
    throw new Error("[streamstore] replicasPerPrimary must be an integer >= 0.");
  }
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_500;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const nodeCount = primaries * (1 + replicasPerPrimary);
  const dir = await mkdtemp(join(tmpdir(), "streamstore-cluster-"));
  const servers: RedisServerHandle[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < nodeCount; index++) {
      const nodeDir = join(dir, `node-${index}`);
      await mkdir(nodeDir);
      // The bus port is chosen too (Redis 7 `cluster-port`): port + 10000, the default, may be
      // above 65535 or taken for an ephemeral port the OS handed out.
      const busPort = await getFreePort();
      const server = await startRedisServer({
        binary: options.binary,
        dir: nodeDir,
        args: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(nodeDir, "nodes.conf"),
          "--cluster-node-timeout",
          String(nodeTimeoutMs),
          "--cluster-port",
          String(busPort),
          ...(options.args ?? []),
        ],
      });
      servers.push(server);
    }
    // redis-cli makes the first `primaries` addresses the primaries and assigns replicas to them.
    await run(
      options.cliBinary ?? "redis-cli",
      [
        "--cluster",
        "create",
        ...servers.map((server) => `127.0.0.1:${server.port}`),
        "--cluster-replicas",
        String(replicasPerPrimary),
        "--cluster-yes",
      ],
      startTimeoutMs,
    );
    for (const server of servers) {
      const client = new Redis(server.port, "127.0.0.1", {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
      });
      client.on("error", () => {});
      clients.push(client);
    }
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const ready = await Promise.all(
        clients.map((client) => nodeReady(client, nodeCount).catch(() => false)),
      );
      if (ready.every(Boolean)) break;
      if (Date.now() > deadline) {
        throw new Error(
          `[streamstore] the Redis Cluster on ports ${servers.map((server) => server.port).join(", ")} was not ready within ${startTimeoutMs} ms: raise startTimeoutMs on a busy machine.`,
        );
      }
      await sleep(100);
    }
    const nodes: RedisClusterNode[] = [];
    for (const [index, client] of clients.entries()) {
      const server = servers[index] as RedisServerHandle;
      const id = (await client.call("CLUSTER", "MYID")) as string;
      const replication = (await client.info("replication")) as string;
      const role: RedisClusterNodeRole =
        infoField(replication, "role") === "master" ? "primary" : "replica";
      let primaryId: string | undefined;
      if (role === "replica") {
        const self = ((await client.call("CLUSTER", "NODES")) as string)
          .split("\n")
          .find((line) => line.includes("myself"));
        primaryId = self?.split(" ")[3];
      }
      nodes.push({
        port: server.port,
        role,
        id,
        ...(primaryId ? { primaryId } : {}),
        process: server.process,
        server,
      });
    }
    for (const client of clients) client.disconnect();
    clients.length = 0;
    nodes.sort((a, b) => (a.role === b.role ? 0 : a.role === "primary" ? -1 : 1));
    return {
      nodes,
      startupNodes: nodes
        .filter((node) => node.role === "primary")
        .map((node) => ({ host: "127.0.0.1", port: node.port })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
