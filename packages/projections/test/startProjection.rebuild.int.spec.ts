import { until } from "@streamstore/testing/internal";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  createProjectionReader,
  defineProjection,
  type ProjectionRunner,
  requestRebuild,
  startProjection,
} from "../src/index.js";
import { testBackends } from "./support/backends.js";
import { bankEvents, depositInRounds, FAST_RUNNER_OPTIONS } from "./support/fixtures.js";
import { useTestKeyspace } from "./support/useTestKeyspace.js";

interface Totals {
  count: number;
  total: number;
  schema?: number;
}

const totals = (version: number) =>
  defineProjection(bankEvents, {
    name: "totals",
    version,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: (): Totals =>
      version === 1 ? { count: 0, total: 0 } : { count: 0, total: 0, schema: version },
    handlers: {
      Deposited: (draft, event) => {
        draft.count++;
        draft.total += event.data.amount;
      },
    },
  });

const FAST = FAST_RUNNER_OPTIONS;

/** Resolves once no key of `build` is left (the runner deletes it after its grace period). */
async function untilBuildDeleted(redis: Redis, prefix: string, build: string): Promise<void> {
  await until(async () => {
    const match = `${prefix}:{rm:totals:${build}}:*`;
    const [, left] = await redis.scan("0", "MATCH", match, "COUNT", 10_000);
    return left.length === 0;
  }, `the ${build} keys deleted after the grace period`);
}

describe.each(testBackends())("startProjection rebuilding a new version on $name", (backend) => {
  const keyspace = useTestKeyspace(backend);
  const { runners } = keyspace;

  it("builds v2 beside v1 while appends go on, and readers switch from complete v1 to caught-up v2", async () => {
    // Given v1 caught up on 6,000 events of 20 accounts
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const keys = Array.from({ length: 20 }, (_, a) => `account-${a}`);
    await depositInRounds(store, keys, 30);
    const v1 = startProjection(totals(1), { redis, store, ...FAST });
    runners.push(v1 as ProjectionRunner<unknown>);
    await v1.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    const baseline = (await v1.getMany(keys)) as Totals[];

    // When a producer keeps appending, a reader keeps polling, and a v2 runner starts
    let running = true;
    let appended = 0;
    const appendedTo = new Map<string, number>();
    const producer = (async () => {
      while (running) {
        const key = keys[appended % keys.length] as string;
        await store.append(key, [{ type: "Deposited", data: { amount: 1 } }]);
        appendedTo.set(key, (appendedTo.get(key) ?? 0) + 1);
        appended++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const reader = createProjectionReader(totals(2), { redis, prefix, activeBuildCacheMs: 50 });
    const violations: string[] = [];
    const seen = { v1: 0, v2: 0 };
    // The last count each reader saw per document: a caught-up v2 never shows less than v1 did
    const lastCount = baseline.map((document) => document.count);
    const poller = (async () => {
      let switched = false;
      while (running) {
        const documents = (await reader.getMany(keys)) as Totals[];
        documents.forEach((document, index) => {
          const isV2 = document.schema === 2;
          if (isV2) switched = true;
          else if (switched) violations.push(`v1 read after v2 for ${keys[index]}`);
          if (document.count < (lastCount[index] as number)) {
            violations.push(
              `${keys[index]}: count ${document.count} (${isV2 ? "v2" : "v1"}) after ${lastCount[index]} (went back)`,
            );
          }
          lastCount[index] = document.count;
          seen[isV2 ? "v2" : "v1"]++;
        });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const v2 = startProjection(totals(2), {
      redis,
      store,
      batchSize: 50,
      rebuildGraceMs: 500,
      ...FAST,
    });
    runners.push(v2 as ProjectionRunner<unknown>);
    await v1.done;
    await until(async () => (await reader.activeBuild()) === "v2", "readers switched to v2");
    const v2ReadsAtSwitch = seen.v2;
    await until(() => seen.v2 >= v2ReadsAtSwitch + 20 * keys.length, "20 more reads of v2");
    running = false;
    await Promise.all([producer, poller]);
    await v2.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

    // Then no reader saw a partial or mixed state, v1 stopped by itself, and the end state is v2's
    expect(violations).toEqual([]);
    expect(seen.v1).toBeGreaterThan(0);
    expect(seen.v2).toBeGreaterThan(0);
    expect(v1.state).toBe("stopped");
    // (each document exactly: its baseline plus the deposits of 1 appended to it since)
    const final = (await v2.getMany(keys)) as Totals[];
    expect(final).toEqual(
      baseline.map((document, index) => ({
        count: document.count + (appendedTo.get(keys[index] as string) ?? 0),
        total: document.total + (appendedTo.get(keys[index] as string) ?? 0),
        schema: 2,
      })),
    );
    expect(final.reduce((sum, document) => sum + document.count, 0)).toBe(6000 + appended);

    // And the old build's keys are deleted once the grace period is over
    await untilBuildDeleted(redis, prefix, "v1");
  }, 60_000);
  it("rebuilds the same version on requestRebuild while serving the old build, then switches", async () => {
    // Given a caught-up runner of v1 and a producer that keeps appending
    const { redis, prefix } = keyspace;
    const store = keyspace.store({ partitions: 2 });
    const keys = Array.from({ length: 10 }, (_, a) => `account-${a}`);
    await depositInRounds(store, keys, 20);
    const runner = startProjection(totals(1), {
      redis,
      store,
      batchSize: 50,
      rebuildGraceMs: 500,
      ...FAST,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    const baseline = (await runner.getMany(keys)) as Totals[];
    let running = true;
    let appended = 0;
    const producer = (async () => {
      while (running) {
        await store.append(keys[appended % keys.length] as string, [
          { type: "Deposited", data: { amount: 1 } },
        ]);
        appended++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const reader = createProjectionReader(totals(1), { redis, prefix, activeBuildCacheMs: 50 });
    const violations: string[] = [];
    const builds = new Set<string | null>();
    let reads = 0;
    const lastCount = baseline.map((document) => document.count);
    const poller = (async () => {
      while (running) {
        builds.add(await reader.activeBuild());
        const documents = (await reader.getMany(keys)) as Totals[];
        reads++;
        documents.forEach((document, index) => {
          if (document.count < (lastCount[index] as number)) {
            violations.push(
              `${keys[index]}: ${document.count} after ${lastCount[index]} (went back)`,
            );
          }
          lastCount[index] = document.count;
        });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    // When a rebuild is requested
    expect(await requestRebuild(totals(1), { redis, prefix })).toBe("v1.1");
    await until(async () => (await reader.activeBuild()) === "v1.1", "readers switched to v1.1");
    const readsAtSwitch = reads;
    await until(() => reads >= readsAtSwitch + 20, "20 more reads of v1.1");
    running = false;
    await Promise.all([producer, poller]);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

    // Then readers moved from v1 to v1.1 without a partial state, and the runner goes on in v1.1
    expect(violations).toEqual([]);
    expect([...builds]).toEqual(["v1", "v1.1"]);
    expect(runner.build).toBe("v1.1");
    expect(runner.state).toBe("running");
    const final = (await runner.getMany(keys)) as Totals[];
    expect(final.reduce((sum, document) => sum + document.count, 0)).toBe(2000 + appended);
    await untilBuildDeleted(redis, prefix, "v1");
  }, 60_000);
});
