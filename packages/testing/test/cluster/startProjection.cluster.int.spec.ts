import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import { defineProjection, type ProjectionRunner, startProjection } from "@streamstore/projections";
import type { RedisClusterHandle } from "@streamstore/testing";
import { deleteKeys } from "@streamstore/testing/contract";
import { until } from "@streamstore/testing/internal";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startExclusiveCluster } from "./support/startExclusiveCluster.js";

const PARTITIONS = 8;
const events = defineEvents({
  Deposited: z.object({ amount: z.number() }),
  Noted: z.object({ text: z.string() }),
});
interface AccountState {
  balance: number;
  count: number;
  lastVersion: number;
  violations: number;
}
// Each event's version must follow the last one applied: a lost, repeated or reordered event
// shows up as a violation or a wrong count.
const accounts = defineProjection(events, {
  name: "accounts",
  version: 1,
  source: ["account"],
  key: (event) => event.streamName,
  initialState: (): AccountState => ({ balance: 0, count: 0, lastVersion: 0, violations: 0 }),
  handlers: {
    Deposited: (draft, event) => {
      draft.balance += event.data.amount;
      if (event.version !== draft.lastVersion + 1) draft.violations++;
      draft.lastVersion = event.version;
      draft.count++;
    },
    Noted: (draft, event) => {
      if (event.version !== draft.lastVersion + 1) draft.violations++;
      draft.lastVersion = event.version;
      draft.count++;
    },
  },
});
const FAST = {
  batchSize: 100,
  heartbeatMs: 200,
  memberTtlMs: 800,
  leaseTtlMs: 1000,
  blockMs: 300,
  leaseMarginMs: 100,
  logger: silentLogger,
};

let cluster: RedisClusterHandle;
let redis: Cluster;
const connect = () =>
  new Cluster(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: null } });
beforeAll(async () => {
  cluster = await startExclusiveCluster({ primaries: 3, replicasPerPrimary: 0 });
  redis = connect();
}, 300_000);
afterAll(async () => {
  if (redis) {
    await deleteKeys(redis, "proj*");
    await redis.quit();
  }
  await cluster?.stop();
});

const storeOf = (client: Cluster, prefix: string) =>
  getRedisEventStore({
    redis: client,
    events,
    prefix,
    partitions: PARTITIONS,
    serverCheck: "off",
    logger: silentLogger,
  });

/** The expected read model: a fold of every partition log's raw entries. */
async function referenceFold(prefix: string): Promise<Map<string, AccountState>> {
  const store = storeOf(redis, prefix);
  const states = new Map<string, AccountState>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const [, fields] of await redis.xrange(store.keys.log("account", partition), "-", "+")) {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2)
        map.set(fields[i] as string, fields[i + 1] as string);
      const key = `account-${map.get("a")}`;
      const state = states.get(key) ?? { balance: 0, count: 0, lastVersion: 0, violations: 0 };
      if (map.get("t") === "Deposited")
        state.balance += (JSON.parse(map.get("d") as string) as { amount: number }).amount;
      state.count++;
      state.lastVersion = Number(map.get("v"));
      states.set(key, state);
    }
  }
  return states;
}

async function expectReadModelEqualsFold(
  runner: ProjectionRunner<AccountState>,
  prefix: string,
  total: number,
) {
  const expected = await referenceFold(prefix);
  const keys = [...expected.keys()];
  const actual = (await runner.getMany(keys)) as AccountState[];
  keys.forEach((key, index) => {
    expect(actual[index], key).toEqual(expected.get(key));
  });
  expect(actual.reduce((sum, state) => sum + state.count, 0)).toBe(total);
}

describe("startProjection on a Redis Cluster", () => {
  it("applies every event appended before and during the catch-up exactly once, over 8 partitions on 3 primaries", async () => {
    // Given 4,000 events, and a producer that keeps appending while the runner catches up
    const prefix = "proj-handoff";
    const store = storeOf(redis, prefix);
    for (let round = 0; round < 20; round++)
      await Promise.all(
        Array.from({ length: 200 }, (_, a) =>
          store.append(`account-${a}`, [{ type: "Deposited", data: { amount: round + 1 } }]),
        ),
      );
    let producing = true;
    let runner: ProjectionRunner<AccountState> | undefined;
    let appendedWhileCatchingUp = 0;
    const producer = (async () => {
      let appended = 0;
      while (producing || appended < 1000) {
        await store.append(`account-${appended % 200}`, [
          { type: "Deposited", data: { amount: 1 } },
          { type: "Noted", data: { text: "n" } },
        ]);
        appended++;
        const states = (runner?.ownedPartitions() ?? []).map((owned) => owned.state);
        if (states.includes("catching-up")) appendedWhileCatchingUp++;
      }
      return appended;
    })();
    // When a runner catches up in small batches, then tails
    runner = startProjection(accounts, { redis, store, ...FAST });
    try {
      const owned = () => (runner?.ownedPartitions() ?? []).map((partition) => partition.state);
      await until(
        () =>
          appendedWhileCatchingUp >= 20 ||
          (owned().length === PARTITIONS && owned().every((state) => state === "live")),
        "the producer appending while the runner catches up, or the runner live on every partition",
      );
      producing = false;
      const appended = await producer;
      await runner.waitUntilCaughtUp(undefined, { timeoutMs: 60_000 });
      // Then the read model equals a fold of the logs
      console.info(`[cluster handoff] ${appendedWhileCatchingUp} appends while catching up`);
      await expectReadModelEqualsFold(runner, prefix, 4_000 + appended * 2);
      const status = await runner.status();
      expect(status.partitions.map((partition) => partition.lag)).toEqual(
        new Array(PARTITIONS).fill(0),
      );
      // And the blocking connections kept their per-node options on the Cluster (the client
      // name travels with enableOfflineQueue/autoResendUnfulfilledCommands in redisOptions)
      const clientLists = await Promise.all(
        redis.nodes("master").map((node) => node.call("CLIENT", "LIST") as Promise<string>),
      );
      const named = clientLists.join("\n").match(/name=ss-rm-accounts-\S+/g) ?? [];
      expect(named.length).toBeGreaterThan(0);
    } finally {
      await runner.stop();
    }
  }, 120_000);

  it("ends with the read model of a clean replay when workers die abruptly and others take over", async () => {
    // Given 3 workers, each on its own Cluster client, and a producer
    const prefix = "proj-crash";
    const store = storeOf(redis, prefix);
    const workers: { client: Cluster; runner: ProjectionRunner<AccountState> }[] = [];
    const all: ProjectionRunner<AccountState>[] = [];
    const startWorker = () => {
      const client = connect();
      const runner = startProjection(accounts, {
        redis: client,
        store: storeOf(client, prefix),
        ...FAST,
      });
      all.push(runner);
      workers.push({ client, runner });
    };
    for (let k = 0; k < 3; k++) startWorker();
    let producing = true;
    let appended = 0;
    const producer = (async () => {
      while (producing) {
        await Promise.all(
          Array.from({ length: 10 }, () =>
            store.append(`account-${appended++ % 150}`, [
              { type: "Deposited", data: { amount: 2 } },
            ]),
          ),
        );
      }
    })();
    try {
      // When a random worker is cut off for good (a zombie: its lease expires, its late commits
      // must be fenced) 8 times, each time once the live workers own every partition again
      // (the previous victim's partitions were taken over), and a fresh one started
      const ownedByLiveWorkers = () =>
        new Set(
          workers.flatMap(({ runner }) =>
            runner
              .ownedPartitions()
              .filter((owned) => owned.state === "live" || owned.state === "catching-up")
              .map((owned) => owned.partition),
          ),
        ).size;
      for (let kill = 0; kill < 8; kill++) {
        await until(
          () => ownedByLiveWorkers() === PARTITIONS,
          `the live workers owning all ${PARTITIONS} partitions before kill ${kill + 1}`,
          30_000,
        );
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0];
        victim?.client.disconnect();
        startWorker();
      }
      producing = false;
      await producer;
      // Then the survivors catch up to a read model equal to a fold of the logs
      const survivor = workers[0]?.runner as ProjectionRunner<AccountState>;
      await survivor.waitUntilCaughtUp(undefined, { timeoutMs: 60_000 });
      await expectReadModelEqualsFold(survivor, prefix, appended);
    } finally {
      producing = false;
      await Promise.all(
        all.map((runner) =>
          Promise.race([runner.stop(), new Promise((resolve) => setTimeout(resolve, 3_000))]),
        ),
      );
      for (const { client } of workers) client.disconnect();
    }
  }, 180_000);
});
