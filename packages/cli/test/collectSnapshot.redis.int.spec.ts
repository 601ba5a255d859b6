import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import {
  defineProjection,
  defineReactor,
  getReactorStatus,
  type ProjectionRunner,
  type ReactorRunner,
  startProjection,
  startReactor,
} from "@streamstore/projections";
import { until } from "@streamstore/testing/internal";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { collectSnapshot } from "../src/dashboard/collectSnapshot.js";
import { createSampleHistory } from "../src/dashboard/createSampleHistory.js";
import { deleteKeysUnder, randomPrefix } from "./support/cli.js";

const itemEvents = defineEvents({ ItemAdded: z.object({ n: z.number() }) });

// A handler that refuses one event, so the projection has exactly one dead letter.
const itemCounts = defineProjection(itemEvents, {
  name: "item-counts",
  version: 1,
  source: ["item"],
  key: (event) => event.streamName,
  initialState: () => ({ count: 0 }),
  handlers: {
    ItemAdded: (draft, event) => {
      if (event.data.n === 13) throw new Error("13 is refused");
      draft.count++;
    },
  },
});

// A reactor refusing the same event: one dead letter, every other event handled.
const itemMailer = defineReactor(itemEvents, {
  name: "item-mailer",
  source: ["item"],
  handlers: {
    ItemAdded: (event) => {
      if (event.data.n === 13) throw new Error("13 is refused");
    },
  },
});

describe("collectSnapshot", () => {
  let redis: Redis;
  let prefix: string;
  const runners: ProjectionRunner<unknown>[] = [];
  const reactors: ReactorRunner[] = [];

  beforeEach(() => {
    redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 3 });
    prefix = randomPrefix("dash-");
  });

  /** The item store on 2 partitions, with items 1 to `count` appended, one stream each. */
  async function itemStoreWith(count: number) {
    const store = getRedisEventStore({
      redis,
      events: itemEvents,
      prefix,
      partitions: 2,
      serverCheck: "off",
      logger: silentLogger,
    });
    for (let n = 1; n <= count; n++) {
      await store.append(`item-${n}`, [{ type: "ItemAdded", data: { n } }]);
    }
    return store;
  }

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await Promise.all(reactors.splice(0).map((reactor) => reactor.stop()));
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
  });

  it("reports categories, consumer groups, and each projection's lag, applied count and dead letters as getProjectionStatus sees them", async () => {
    // Given 20 events on 2 partitions, one of them refused by the projection's handler
    const store = await itemStoreWith(20);
    const runner = startProjection(itemCounts, {
      redis,
      store,
      logger: silentLogger,
      maxDeliveries: 1,
      retryBackoffMs: 1,
    }) as ProjectionRunner<unknown>;
    runners.push(runner);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });

    // When a snapshot is collected
    const live = await collectSnapshot({
      redis,
      prefix,
      projections: [itemCounts],
      now: () => 1_000,
    });

    // Then it has the category with both logs, the projection caught up with one dead letter,
    // and its consumer group on each partition
    expect(live.at).toBe(1_000);
    expect(live.categories).toEqual([
      { category: "item", partitions: 2, entriesAdded: 20, length: 20 },
    ]);
    expect(live.projections).toHaveLength(1);
    expect(live.projections[0]).toMatchObject({
      name: "item-counts",
      build: "v1",
      lag: 0,
      applied: 20,
      deadLetters: 1,
      workers: 1,
    });
    expect(live.groups.map((group) => [group.category, group.partition, group.group])).toEqual([
      ["item", 0, "rm:item-counts:v1"],
      ["item", 1, "rm:item-counts:v1"],
    ]);
    expect(live.groups.every((group) => group.consumers === 1)).toBe(true);

    // When the runner stops and 6 more events arrive
    await runners.splice(0)[0]?.stop();
    for (let n = 21; n <= 26; n++) {
      await store.append(`item-${n}`, [{ type: "ItemAdded", data: { n } }]);
    }
    const stopped = await collectSnapshot({
      redis,
      prefix,
      projections: [itemCounts],
      now: () => 3_000,
    });

    // Then the projection is stopped with a lag of 6, and the history turns the deltas into rates
    expect(stopped.categories[0]?.entriesAdded).toBe(26);
    expect(stopped.projections[0]).toMatchObject({ state: "stopped", lag: 6, applied: 20 });
    const history = createSampleHistory({ capacity: 10 });
    history.record(live);
    const sample = history.record(stopped);
    expect(sample).toEqual({
      at: 3_000,
      appendedPerSecond: 3,
      projections: [{ name: "item-counts", lag: 6, appliedPerSecond: 0, deadLetters: 1 }],
    });
  });

  it("reports an empty prefix as no categories, no groups and a stopped projection with no partitions", async () => {
    // Given a prefix nothing was written under
    // When a snapshot is collected
    const snapshot = await collectSnapshot({ redis, prefix, projections: [itemCounts] });

    // Then nothing is invented: a projection that never ran has no partitions and is stopped
    expect(snapshot.categories).toEqual([]);
    expect(snapshot.groups).toEqual([]);
    expect(snapshot.projections[0]).toMatchObject({ state: "stopped", lag: 0, deadLetters: 0 });
  });

  it("reports each reactor's lag, pending, consumers and dead letters as getReactorStatus sees them", async () => {
    // Given 20 events on 2 partitions and a reactor that handled them, refusing one
    const store = await itemStoreWith(20);
    reactors.push(
      startReactor(itemMailer, {
        redis,
        store,
        startFrom: "beginning",
        maxDeliveries: 1,
        retryBackoffMs: 1,
        logger: silentLogger,
      }),
    );
    await until(async () => {
      const status = await getReactorStatus(itemMailer, { redis, prefix });
      return (
        status.deadLetters === 1 && status.partitions.every((p) => p.lag === 0 && p.pending === 0)
      );
    }, "the reactor handled 19 events and dead-lettered one");

    // When a snapshot is collected
    const live = await collectSnapshot({ redis, prefix, projections: [], reactors: [itemMailer] });

    // Then the reactor is there, caught up, with its one worker and its dead letter
    expect(live.reactors).toEqual([
      {
        name: "item-mailer",
        group: "rx:item-mailer",
        source: ["item"],
        lag: 0,
        pending: 0,
        consumers: 1,
        deadLetters: 1,
        lastActivityAt: expect.any(Number),
        healthy: false,
      },
    ]);
    expect(live.groups.map((group) => [group.category, group.partition, group.group])).toEqual([
      ["item", 0, "rx:item-mailer"],
      ["item", 1, "rx:item-mailer"],
    ]);

    // When the reactor stops and 6 more events arrive
    await reactors.splice(0)[0]?.stop();
    for (let n = 21; n <= 26; n++) {
      await store.append(`item-${n}`, [{ type: "ItemAdded", data: { n } }]);
    }
    const stopped = await collectSnapshot({
      redis,
      prefix,
      projections: [],
      reactors: [itemMailer],
    });

    // Then its lag is the 6 undelivered events
    expect(stopped.reactors?.[0]).toMatchObject({ lag: 6, pending: 0, deadLetters: 1 });
  });
});
