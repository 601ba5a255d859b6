import type { InMemorySpanExporter, ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import {
  inMemoryTelemetry,
  pointsOf,
  sumOf,
  useAsyncContextManager,
} from "../../core/test/support/inMemoryTelemetry.js";
import {
  defineProjection,
  defineReactor,
  type ProjectionRunner,
  type ReactorRunner,
  startProjection,
  startReactor,
} from "../src/index.js";
import { projectionKeys } from "../src/internal.js";
import { deleteKeysUnder, randomPrefix } from "./support/backends.js";
import { bankEvents } from "./support/fixtures.js";

const totals = (name: string) =>
  defineProjection(bankEvents, {
    name,
    version: 1,
    source: ["account"],
    key: (event) => event.streamName,
    initialState: () => ({ total: 0 }),
    handlers: {
      Deposited: (draft, event) => {
        if (event.data.amount === 13) throw new Error("13 is unlucky");
        draft.total += event.data.amount;
      },
    },
  });

const clients: Redis[] = [];
const runners: ProjectionRunner<unknown>[] = [];
let prefix: string;

useAsyncContextManager();

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  const redis = connect();
  await deleteKeysUnder(redis, prefix);
});

afterAll(() => {
  for (const redis of clients) redis.disconnect();
});

function connect(): Redis {
  const redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  clients.push(redis);
  return redis;
}

const batchesOf = (exporter: InMemorySpanExporter): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((span) => span.name === "streamstore.projection.batch");

describe("startProjection telemetry", () => {
  it("traces each committed batch with its partition, size, phase and lag, counts every event, and reports the lag falling to 0", async () => {
    // Given 600 events over two partitions, appended before the runner starts
    prefix = randomPrefix();
    const redis = connect();
    const store = getRedisEventStore({
      redis,
      events: bankEvents,
      prefix,
      partitions: 2,
      logger: silentLogger,
    });
    for (let i = 0; i < 600; i++) {
      await store.append(`account-${i % 7}`, [{ type: "Deposited", data: { amount: 1 } }]);
    }
    const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();

    // When a runner with providers catches up in batches of 100, then tails 40 more events
    const runner = startProjection(totals("otel-totals"), {
      redis,
      store,
      batchSize: 100,
      logger: silentLogger,
      tracerProvider,
      meterProvider,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    await expect.poll(() => runner.ownedPartitions().every((p) => p.state === "live")).toBe(true);
    let last = await store.append("account-0", [{ type: "Deposited", data: { amount: 1 } }]);
    for (let i = 1; i < 40; i++) {
      last = await store.append(`account-${i % 7}`, [{ type: "Deposited", data: { amount: 1 } }]);
    }
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    await runner.waitUntilCaughtUp(last, { timeoutMs: 20_000 });

    // Then the batch spans add up to every event, per partition, in both phases
    const batches = batchesOf(exporter);
    const sizes = batches.map((span) => Number(span.attributes["streamstore.batch.size"]));
    expect(sizes.reduce((total, size) => total + size, 0)).toBe(640);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(new Set(batches.map((span) => span.attributes["streamstore.partition"]))).toEqual(
      new Set([0, 1]),
    );
    const phases = new Set(batches.map((span) => span.attributes["streamstore.projection.phase"]));
    expect(phases).toEqual(new Set(["catch-up", "live"]));
    expect(batches[0]?.attributes).toMatchObject({
      "streamstore.projection.name": "otel-totals",
      "streamstore.projection.build": "v1",
      "streamstore.category": "account",
      "streamstore.batch.dead_letters": 0,
    });
    // And the lag after a batch is measured: large early in the catch-up, 0 at the end
    const lags = batches.map((span) => Number(span.attributes["streamstore.batch.lag"]));
    expect(lags.every((lag) => Number.isInteger(lag) && lag >= 0)).toBe(true);
    expect(Math.max(...lags)).toBeGreaterThanOrEqual(100);
    for (const partition of [0, 1]) {
      const ofPartition = batches.filter(
        (span) => span.attributes["streamstore.partition"] === partition,
      );
      expect(ofPartition.at(-1)?.attributes["streamstore.batch.lag"]).toBe(0);
    }
    // And the metrics: 640 events, no dead letter, a lag gauge at 0 on both partitions
    expect(sumOf(await pointsOf(reader, "streamstore.projection.events"))).toBe(640);
    expect(sumOf(await pointsOf(reader, "streamstore.projection.dead_letters"))).toBe(0);
    const gauge = await pointsOf(reader, "streamstore.projection.lag");
    expect(
      gauge
        .map((point) => [point.attributes["streamstore.partition"], point.value])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [0, 0],
      [1, 0],
    ]);
  });

  it("counts a poison event's retries and its dead letter, and entries a dead worker left pending as redeliveries", async () => {
    // Given a runner that caught up on a log holding a poison event, then stopped
    prefix = randomPrefix();
    const redis = connect();
    const store = getRedisEventStore({ redis, events: bankEvents, prefix, logger: silentLogger });
    for (const amount of [1, 13, 2]) {
      await store.append("account-1", [{ type: "Deposited", data: { amount } }]);
    }
    const first = inMemoryTelemetry();
    const projection = totals("otel-poison");
    const runner = startProjection(projection, {
      redis,
      store,
      maxDeliveries: 3,
      retryBackoffMs: 5,
      logger: silentLogger,
      tracerProvider: first.tracerProvider,
      meterProvider: first.meterProvider,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

    // Then the poison event was tried 3 times (2 redeliveries) and dead-lettered once
    expect(sumOf(await pointsOf(first.reader, "streamstore.projection.dead_letters"))).toBe(1);
    const redeliveries = await pointsOf(first.reader, "streamstore.projection.redeliveries");
    expect(
      redeliveries.map((point) => [point.attributes["streamstore.redelivery.reason"], point.value]),
    ).toEqual([["retry", 2]]);
    const failed = batchesOf(first.exporter).filter((span) => span.status.code === 2);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed[0]?.events.map((event) => event.name)).toContain("exception");
    expect(
      batchesOf(first.exporter).some(
        (span) => span.attributes["streamstore.batch.dead_letters"] === 1,
      ),
    ).toBe(true);
    expect(await runner.get("account-1")).toEqual({ total: 3 });
    await runner.stop();

    // Given two more events read from the group by a worker that then died before committing
    await store.append("account-1", [{ type: "Deposited", data: { amount: 4 } }]);
    await store.append("account-1", [{ type: "Deposited", data: { amount: 5 } }]);
    const group = projectionKeys(prefix, projection.name).group(runner.build);
    const read = (await redis.xreadgroup(
      "GROUP",
      group,
      "dead-worker",
      "COUNT",
      10,
      "STREAMS",
      store.keys.log("account", 0),
      ">",
    )) as [string, unknown[]][];
    expect(read[0]?.[1]).toHaveLength(2);

    // When a new runner takes the partition
    const second = inMemoryTelemetry();
    const next = startProjection(projection, {
      redis,
      store,
      logger: silentLogger,
      tracerProvider: second.tracerProvider,
      meterProvider: second.meterProvider,
    });
    runners.push(next as ProjectionRunner<unknown>);
    await next.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });

    // Then it claimed both and applied them once, counted as claimed redeliveries
    expect(await next.get("account-1")).toEqual({ total: 12 });
    const claimed = await pointsOf(second.reader, "streamstore.projection.redeliveries");
    expect(
      claimed.map((point) => [point.attributes["streamstore.redelivery.reason"], point.value]),
    ).toEqual([["claimed", 2]]);
  });
});

describe("startReactor telemetry", () => {
  it("traces each handled entry and counts handled entries, retries and dead letters", async () => {
    // Given five events, one of which always fails, and a tracer and meter given to the store only
    prefix = randomPrefix();
    const redis = connect();
    const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();
    const store = getRedisEventStore({
      redis,
      events: bankEvents,
      prefix,
      logger: silentLogger,
      tracerProvider,
      meterProvider,
    });
    for (const amount of [1, 2, 13, 3, 4]) {
      await store.append(`account-${amount}`, [{ type: "Deposited", data: { amount } }]);
    }
    const handled: number[] = [];
    const reactor = defineReactor(bankEvents, {
      name: "otel-mailer",
      source: ["account"],
      handlers: {
        Deposited: (event) => {
          if (event.data.amount === 13) throw new Error("poison");
          handled.push(event.data.amount);
        },
      },
    });

    // When a reactor reads them from the beginning
    const worker: ReactorRunner = startReactor(reactor, {
      redis,
      store,
      startFrom: "beginning",
      maxDeliveries: 2,
      retryBackoffMs: 5,
      logger: silentLogger,
    });
    try {
      await expect
        .poll(async () => sumOf(await pointsOf(reader, "streamstore.reactor.events")), {
          timeout: 10_000,
        })
        .toBe(5);
    } finally {
      await worker.stop();
    }

    // Then each entry has a span with its outcome, and the counters add up
    expect(handled.sort()).toEqual([1, 2, 3, 4]);
    const spans = exporter
      .getFinishedSpans()
      .filter((span) => span.name === "streamstore.reactor.handle");
    expect(spans.map((span) => span.attributes["streamstore.outcome"]).sort()).toEqual([
      "dead-lettered",
      "handled",
      "handled",
      "handled",
      "handled",
    ]);
    expect(spans[0]?.attributes).toMatchObject({
      "streamstore.reactor.name": "otel-mailer",
      "streamstore.category": "account",
      "streamstore.partition": 0,
    });
    expect(sumOf(await pointsOf(reader, "streamstore.reactor.dead_letters"))).toBe(1);
    expect(sumOf(await pointsOf(reader, "streamstore.reactor.redeliveries"))).toBe(1);
  });
});
