import { metrics, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import {
  type Decider,
  defineEvents,
  type EventOf,
  getRedisEventStore,
  handleCommand,
  silentLogger,
} from "@streamstore/core";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  inMemoryTelemetry,
  pointsOf,
  sumOf,
  useAsyncContextManager,
} from "./support/inMemoryTelemetry.js";

const events = defineEvents({ Counted: z.object({ by: z.string() }) });
type CounterEvent = EventOf<typeof events>;

const prefix = `otel-${Date.now().toString(36)}`;
const clients: Redis[] = [];

function client(): Redis {
  const redis = new Redis(inject("redisUrl"));
  clients.push(redis);
  return redis;
}

useAsyncContextManager();

afterEach(() => {
  trace.disable();
  metrics.disable();
});

afterAll(async () => {
  const raw = client();
  let cursor = "0";
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await raw.del(...keys);
  } while (cursor !== "0");
  for (const redis of clients) redis.disconnect();
});

const byName = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);

describe("handleCommand", () => {
  it("traces a retried command as one span whose children are the conflicting and the winning append", async () => {
    // Given two writers with their own connections, and a decider that lets both decide on the
    // same loaded version before either appends: a real race, made certain to conflict once
    const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();
    const stores = [client(), client()].map((redis) =>
      getRedisEventStore({
        redis,
        events,
        prefix: `${prefix}a`,
        logger: silentLogger,
        tracerProvider,
        meterProvider,
      }),
    );
    let arrived = 0;
    let openBarrier: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      openBarrier = resolve;
    });
    const counter: Decider<{ count: number }, { by: string }, CounterEvent> = {
      initialState: () => ({ count: 0 }),
      evolve: (state) => {
        state.count += 1;
      },
      decide: async (command, state) => {
        if (state.count === 0) {
          arrived += 1;
          if (arrived === 2) openBarrier();
          await barrier;
        }
        return [{ type: "Counted", data: command }];
      },
    };

    // When both handle a command on one stream at once
    const results = await Promise.all(
      stores.map((store, writer) =>
        handleCommand(store, "counter-1", counter, { by: `writer-${writer}` }, { maxDelayMs: 5 }),
      ),
    );

    // Then one of them retried once, and its span says so
    expect(results.map((result) => result.retries).sort()).toEqual([0, 1]);
    const spans = exporter.getFinishedSpans();
    const commands = byName(spans, "streamstore.handle_command");
    expect(commands).toHaveLength(2);
    const retried = commands.find((span) => span.attributes["streamstore.retries"] === 1);
    const direct = commands.find((span) => span.attributes["streamstore.retries"] === 0);
    expect(retried?.attributes).toMatchObject({
      "streamstore.stream": "counter-1",
      "streamstore.category": "counter",
      "streamstore.attempts": 2,
      "streamstore.outcome": "appended",
    });
    expect(direct?.attributes["streamstore.outcome"]).toBe("appended");
    // And every append span is a child of its command's span, in its trace
    const appends = byName(spans, "streamstore.append");
    expect(appends).toHaveLength(3);
    const childrenOf = (parent: ReadableSpan | undefined) =>
      appends.filter(
        (span) =>
          span.parentSpanContext?.spanId === parent?.spanContext().spanId &&
          span.spanContext().traceId === parent?.spanContext().traceId,
      );
    const retriedAppends = childrenOf(retried);
    expect(retriedAppends).toHaveLength(2);
    expect(childrenOf(direct)).toHaveLength(1);
    // And the refused append is marked as a conflict and failed, the other two as written
    const conflicted = appends.filter((span) => span.attributes["streamstore.conflict"] === true);
    expect(conflicted).toHaveLength(1);
    expect(retriedAppends).toContain(conflicted[0]);
    expect(conflicted[0]?.status.code).toBe(2);
    expect(conflicted[0]?.events.map((event) => event.name)).toContain("exception");
    expect(conflicted[0]?.attributes).toMatchObject({
      "db.system.name": "redis",
      "streamstore.stream": "counter-1",
      "streamstore.category": "counter",
      "streamstore.partition": 0,
      "streamstore.event_count": 1,
      "streamstore.expected_version_kind": "exact",
      "streamstore.expected_version": 0,
      "streamstore.actual_version": 1,
      "error.type": "CONCURRENCY",
    });
    const written = appends.filter((span) => span.attributes["streamstore.conflict"] === false);
    expect(written.map((span) => span.attributes["streamstore.duplicate"])).toEqual([false, false]);
    expect(written.map((span) => span.attributes["streamstore.next_version"]).sort()).toEqual([
      1, 2,
    ]);

    // And the metrics count three appends (two written, one conflict), one conflict, one retry
    const durations = await pointsOf(reader, "streamstore.append.duration");
    const countOf = (outcome: string) =>
      durations
        .filter((point) => point.attributes["streamstore.outcome"] === outcome)
        .reduce((total, point) => total + (point.value as { count: number }).count, 0);
    expect(countOf("ok")).toBe(2);
    expect(countOf("conflict")).toBe(1);
    expect(durations.every((point) => point.attributes["streamstore.category"] === "counter")).toBe(
      true,
    );
    expect(sumOf(await pointsOf(reader, "streamstore.append.conflicts"))).toBe(1);
    expect(sumOf(await pointsOf(reader, "streamstore.command.retries"))).toBe(1);
    expect(sumOf(await pointsOf(reader, "streamstore.append.events"))).toBe(2);
    // And no metric carries the stream name (cardinality)
    const { resourceMetrics } = await reader.collect();
    const attributeKeys = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .flatMap((metric) => metric.dataPoints.flatMap((point) => Object.keys(point.attributes)));
    expect(attributeKeys).not.toContain("streamstore.stream");
    expect(resourceMetrics.scopeMetrics.map((scope) => scope.scope.name)).toEqual([
      "@streamstore/core",
    ]);
  });
});

describe("getRedisEventStore", () => {
  it("uses providers registered globally after the store was created, and stops when they are removed", async () => {
    // Given a store created before any provider is registered (as when the SDK starts late)
    const store = getRedisEventStore({
      redis: client(),
      events,
      prefix: `${prefix}b`,
      logger: silentLogger,
    });
    await store.append("counter-2", [{ type: "Counted", data: { by: "early" } }]);
    const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();

    // When providers are registered globally, then an append is made
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    await store.append("counter-2", [{ type: "Counted", data: { by: "traced" } }], {
      expectedVersion: 1,
    });

    // Then that append is traced and counted
    expect(byName(exporter.getFinishedSpans(), "streamstore.append")).toHaveLength(1);
    expect(sumOf(await pointsOf(reader, "streamstore.append.events"))).toBe(1);

    // And once they are unregistered, appends go on untraced
    trace.disable();
    metrics.disable();
    const result = await store.append("counter-2", [{ type: "Counted", data: { by: "late" } }]);
    expect(result.nextExpectedVersion).toBe(3);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(sumOf(await pointsOf(reader, "streamstore.append.events"))).toBe(1);
  });

  it("works unchanged with no provider at all: appends, conflicts and commands behave as without telemetry", async () => {
    // Given no provider, given or registered
    expect(trace.getTracerProvider().getTracer("probe").startSpan("probe").isRecording()).toBe(
      false,
    );
    const store = getRedisEventStore({
      redis: client(),
      events,
      prefix: `${prefix}c`,
      logger: silentLogger,
    });
    // When appending, conflicting, and handling a command
    await store.append("counter-3", [{ type: "Counted", data: { by: "one" } }], {
      expectedVersion: "no_stream",
    });
    const conflict = await store
      .append("counter-3", [{ type: "Counted", data: { by: "two" } }], {
        expectedVersion: "no_stream",
      })
      .catch((error: unknown) => error);
    const counter: Decider<{ count: number }, { by: string }, CounterEvent> = {
      initialState: () => ({ count: 0 }),
      evolve: (state) => {
        state.count += 1;
      },
      decide: (command) => [{ type: "Counted", data: command }],
    };
    const result = await handleCommand(store, "counter-3", counter, { by: "three" });
    // Then each behaves as it always did
    expect((conflict as Error).name).toBe("ConcurrencyError");
    expect(result.nextExpectedVersion).toBe(2);
    expect(result.newState.count).toBe(2);
  });
});
