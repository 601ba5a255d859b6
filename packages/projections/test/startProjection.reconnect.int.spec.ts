import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { until } from "@streamstore/testing/internal";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ProjectionRunner, startProjection } from "../src/index.js";
import { deleteKeysUnder, randomPrefix, testBackends } from "./support/backends.js";
import {
  type AccountState,
  accountsProjection,
  bankEvents,
  readLogs,
  referenceFold,
} from "./support/fixtures.js";

// CLIENT KILL needs a real server: the fake has no connections to drop.
const realRedis = testBackends().filter((backend) => backend.url !== undefined);

describe.each(realRedis)("startProjection when Redis drops its connections ($name)", (backend) => {
  let admin: Redis;
  let prefix: string;
  const runners: ProjectionRunner<unknown>[] = [];
  const clients: Redis[] = [];

  beforeEach(() => {
    admin = backend.connect();
    prefix = randomPrefix();
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => {})));
    await deleteKeysUnder(admin, prefix);
    await admin.quit();
  });

  it("resumes by itself after CLIENT KILL of every runner connection, with nothing lost or applied twice", async () => {
    // Given a runner whose connections are named, and a producer that keeps appending
    const runnerRedis = new Redis(backend.url as string, {
      connectionName: `${prefix}-runner`,
      maxRetriesPerRequest: null,
    });
    runnerRedis.on("error", () => {});
    clients.push(runnerRedis);
    const store = getRedisEventStore({
      redis: admin,
      events: bankEvents,
      prefix,
      partitions: 2,
      serverCheck: "off",
      logger: silentLogger,
    });
    const runner = startProjection(accountsProjection(), {
      redis: runnerRedis,
      prefix,
      workerId: `${prefix}-worker`,
      heartbeatMs: 200,
      leaseTtlMs: 1500,
      blockMs: 300,
      reconnectDelayMs: 50,
      logger: process.env.DEBUG_RUNNER
        ? {
            debug() {},
            info: (_f, m) => console.log(Date.now(), m),
            warn: (_f, m) => console.log(Date.now(), m),
            error: (_f, m) => console.log(Date.now(), m),
          }
        : silentLogger,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    let appended = 0;
    const producer = (async () => {
      while (appended < 3000) {
        await store.append(`account-${appended % 50}`, [
          { type: "Deposited", data: { amount: 1 } },
        ]);
        appended++;
        if (appended % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    // When every connection of the runner is killed three times while events arrive, each time
    // once the runner has applied new events since the previous kill (it has resumed by itself)
    const accountKeys = Array.from({ length: 50 }, (_, a) => `account-${a}`);
    const applied = async () =>
      ((await runner.getMany(accountKeys)) as (AccountState | undefined)[]).reduce(
        (sum, state) => sum + (state?.count ?? 0),
        0,
      );
    // The runner's connections now: its client, and the blocking reader of each owned partition
    const connections = async () => {
      const found: { id: string; worker: boolean }[] = [];
      for (const line of ((await admin.client("LIST")) as string).split("\n")) {
        const name = /name=(\S*)/.exec(line)?.[1] ?? "";
        const id = /id=(\d+)/.exec(line)?.[1];
        if (id && (name === `${prefix}-runner` || name.includes(`${prefix}-worker`))) {
          found.push({ id, worker: name !== `${prefix}-runner` });
        }
      }
      return found;
    };
    let appliedAtLastKill = 0;
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      // (the runner has resumed: it applied new events, and its client and a blocking reader are
      // connected again; a reader reconnects a little after the catch-up resumed)
      let toKill: { id: string; worker: boolean }[] = [];
      await until(
        async () => {
          const now = await applied();
          if (now <= appliedAtLastKill && now < 3000) return false;
          toKill = await connections();
          if (!toKill.some((c) => c.worker) || !toKill.some((c) => !c.worker)) return false;
          appliedAtLastKill = now;
          return true;
        },
        `the runner applying new events, its connections back, before kill ${round + 1}`,
      );
      for (const { id } of toKill) {
        await admin.client("KILL", "ID", id);
        killed++;
      }
    }
    await producer;
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 30_000 });

    // Then the read model equals the fold of the logs
    expect(killed).toBeGreaterThanOrEqual(6);
    const expected = referenceFold(
      await readLogs(
        admin,
        [0, 1].map((p) => store.keys.log("account", p)),
      ),
    );
    const keys = [...expected.keys()];
    const actual = (await runner.getMany(keys)) as AccountState[];
    expect(actual).toEqual(keys.map((key) => expected.get(key)));
    expect(actual.reduce((sum, state) => sum + state.count, 0)).toBe(3000);
  });
});
