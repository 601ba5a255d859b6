import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import type { RedisClusterHandle } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExclusiveCluster } from "../../testing/test/cluster/support/startExclusiveCluster.js";
import { ConsumerGroupReader } from "../src/consumer/ConsumerGroupReader.js";
import { reactorKeys } from "../src/internal.js";
import { bankEvents } from "./support/fixtures.js";

// Issue 18: a reactor read all its partition logs in one XREADGROUP, which a Cluster refuses
// (CROSSSLOT) once the logs sit on different slots: 0 events handled. Each worker now reads each
// partition log on its own. Two worker processes on a 3-primary cluster (no replicas: small
// machine), a category of 8 partitions; then one is SIGKILLed while its handlers hold entries.

const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const WORKER = fileURLToPath(new URL("./fixtures/reactorClusterWorker.ts", import.meta.url));
const PREFIX = "rxc";
const PARTITIONS = 8;
const CLAIM_MIN_IDLE_MS = 3000;

let cluster: RedisClusterHandle;
let redis: Cluster;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 0 });
  redis = new Cluster(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: null } });
}, 300_000);

afterAll(async () => {
  for (const child of children) killGroup(child);
  if (redis) {
    await deleteKeys(redis, `${PREFIX}*`);
    await redis.quit();
  }
  await cluster?.stop();
});

function killGroup(child: ChildProcess): void {
  try {
    // tsx runs the worker in a child node process: the whole process group, or only the wrapper dies.
    process.kill(-(child.pid as number), "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function spawnWorker(workerId: string): Promise<ChildProcess> {
  const child = spawn(TSX, ["--conditions=@streamstore/source", WORKER], {
    env: {
      ...process.env,
      CLUSTER_NODES: JSON.stringify(cluster.startupNodes),
      STREAMSTORE_PREFIX: PREFIX,
      STREAMSTORE_PARTITIONS: String(PARTITIONS),
      WORKER_ID: workerId,
      CLAIM_MIN_IDLE_MS: String(CLAIM_MIN_IDLE_MS),
    },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes(`ready ${workerId}`)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker ${workerId} exited (${code})`)));
  });
  return child;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Handled events: the number of times each event id was handled, and by which workers. */
async function handled(): Promise<{ times: Map<string, number>; by: Map<string, string[]> }> {
  const times = new Map<string, number>();
  const by = new Map<string, string[]>();
  for (const line of await redis.lrange(`${PREFIX}:handled`, 0, -1)) {
    const [worker, id] = line.split(" ") as [string, string];
    times.set(id, (times.get(id) ?? 0) + 1);
    by.set(worker, [...(by.get(worker) ?? []), id]);
  }
  return { times, by };
}

describe("startReactor on a Redis Cluster", () => {
  it("hands every event of 8 partitions to exactly one of two workers, and a survivor takes over a SIGKILLed worker's pending entries", async () => {
    // Given a category of 8 partitions spread over 3 primaries, and two reactor worker processes
    const store = getRedisEventStore({
      redis,
      events: bankEvents,
      prefix: PREFIX,
      partitions: PARTITIONS,
      serverCheck: "off",
      logger: silentLogger,
    });
    const logKeys = Array.from({ length: PARTITIONS }, (_, p) => store.keys.log("account", p));
    const ids: string[] = [];
    const appendMany = async (count: number, round: number) => {
      for (let i = 0; i < count; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, a) => {
            const id = randomUUID();
            ids.push(id);
            return store.append(`account-${round}-${a}`, [
              { id, type: "Deposited", data: { amount: i + a } },
            ]);
          }),
        );
      }
    };
    const { group } = reactorKeys(PREFIX, "audit");
    const [survivor, victim] = await Promise.all([spawnWorker("a"), spawnWorker("b")]);
    expect(survivor && victim).toBeTruthy();

    // When 400 events are appended to 20 aggregates
    await appendMany(400, 1);

    // Then each is handled exactly once, by one of the two workers, and both had a share
    await until(async () => (await handled()).times.size === ids.length, 60_000, "400 handled");
    let result = await handled();
    expect([...result.times.values()].every((times) => times === 1)).toBe(true);
    expect([...result.times.keys()].sort()).toEqual([...ids].sort());
    expect(result.by.get("a")?.length).toBeGreaterThan(0);
    expect(result.by.get("b")?.length).toBeGreaterThan(0);
    const shares = `a ${result.by.get("a")?.length}, b ${result.by.get("b")?.length}`;

    // When worker b's handler hangs, 200 more events arrive, and b is SIGKILLed while holding some
    await redis.set(`${PREFIX}:hang`, "b");
    await appendMany(200, 2);
    const pendingOf = async (consumer: string) => {
      let pending = 0;
      for (const key of logKeys) {
        const consumers = (await redis.xpending(key, group))[3] as [string, string][] | null;
        pending += Number(consumers?.find(([name]) => name === consumer)?.[1] ?? 0);
      }
      return pending;
    };
    await until(
      async () => {
        const held = await redis.llen(`${PREFIX}:held`);
        return held > 0 && (await handled()).times.size + held === ids.length;
      },
      60_000,
      "b holding entries, a having handled the rest",
    );
    const held = await redis.lrange(`${PREFIX}:held`, 0, -1);
    const heldPending = await pendingOf("b");
    killGroup(victim as ChildProcess);
    const killedAt = performance.now();
    expect(held.length).toBeGreaterThan(0);
    expect(heldPending).toBeGreaterThanOrEqual(held.length);

    // Then the survivor claims them after claimMinIdleMs and handles them: each of the 600 events
    // handled exactly once, those b held by a, and nothing is left pending
    await until(
      async () => (await handled()).times.size === ids.length,
      60_000,
      "the held entries handled by the survivor",
    );
    const takeOverMs = Math.round(performance.now() - killedAt);
    result = await handled();
    expect([...result.times.values()].every((times) => times === 1)).toBe(true);
    expect([...result.times.keys()].sort()).toEqual([...ids].sort());
    console.info(
      `[reactor cluster] 400 events handled once each (${shares}); b held ${held.length} (${heldPending} pending) when SIGKILLed; all ${ids.length} handled once each ${takeOverMs} ms after the kill (claimMinIdleMs ${CLAIM_MIN_IDLE_MS})`,
    );
    const bySurvivor = new Set(result.by.get("a"));
    expect(held.filter((id) => !bySurvivor.has(id))).toEqual([]);
    await until(async () => (await pendingOf("b")) + (await pendingOf("a")) === 0, 10_000, "acks");
  }, 240_000);
});

describe("ConsumerGroupReader on a Redis Cluster", () => {
  it("gets its blocking connection ready on every start, from a client that never reconnects", async () => {
    // Given a Cluster client that gives up at once on a lost cluster (clusterRetryStrategy null)
    // and one entry in a log. Before the fix, about 1 start in 3 made a blocking Cluster client
    // whose ready check hit a node still connecting: it ended, its status went on to "close",
    // and the reader waited for it forever (aclRuleFor's reactor test: 0 of 10 handled, 1 in 6).
    const client = new Cluster(cluster.startupNodes, {
      clusterRetryStrategy: () => null,
      redisOptions: { maxRetriesPerRequest: null },
    });
    client.on("error", () => {});
    const logKey = `${PREFIX}:readers:{r}:log`;
    await client.xadd(logKey, "*", "n", "1");
    const failures: string[] = [];
    try {
      // When 40 readers, one after another, wait up to 5 s for their blocking connection and read
      for (let i = 0; i < 40 && failures.length === 0; i++) {
        const reader = new ConsumerGroupReader({
          redis: client,
          logKey,
          group: `g${i}`,
          consumer: "c",
          connectionName: `ss-test-reader-${i}`,
          signal: AbortSignal.timeout(5000),
        });
        await reader.createGroup("0");
        const ready = await reader.connected();
        const entries = ready ? await reader.readNew(10, 100) : [];
        if (entries.length !== 1)
          failures.push(`reader ${i}: ready ${ready}, ${entries.length} read`);
        reader.close();
      }
    } finally {
      await deleteKeys(client, `${PREFIX}:readers*`);
      client.disconnect();
    }
    // Then every one connected and read the entry
    expect(failures).toEqual([]);
  }, 120_000);
});
