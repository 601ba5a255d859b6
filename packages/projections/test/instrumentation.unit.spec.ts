import { describe, expect, it } from "vitest";
import {
  NO_PARTITION_INSTRUMENTATION,
  runnerInstrumentation,
} from "../src/telemetry/partitionInstrumentation.js";
import type {
  ProjectionInstruments,
  ProjectionsTelemetry,
} from "../src/telemetry/projectionsTelemetry.js";
import {
  NO_REACTOR_INSTRUMENTATION,
  reactorInstrumentation,
} from "../src/telemetry/reactorInstrumentation.js";

type Recorded = { name: string; attributes: Record<string, unknown>; status?: unknown };

/** A telemetry whose spans and counters record what they are told (tracing and metrics on). */
function recordingTelemetry() {
  const spans: Recorded[] = [];
  const counts: { counter: string; value: number; attributes: Record<string, unknown> }[] = [];
  const counter = (name: string) => ({
    add: (value: number, attributes: Record<string, unknown> = {}) => {
      counts.push({ counter: name, value, attributes });
    },
  });
  const instruments = Object.fromEntries(
    [
      "events",
      "deadLetters",
      "redeliveries",
      "reactorEvents",
      "reactorDeadLetters",
      "reactorRedeliveries",
    ].map((name) => [name, counter(name)]),
  ) as unknown as ProjectionInstruments;
  const tracer = {
    startActiveSpan: (
      name: string,
      options: { attributes: Record<string, unknown> },
      fn: (span: unknown) => unknown,
    ) => {
      const span: Recorded = { name, attributes: { ...options.attributes } };
      spans.push(span);
      return fn({
        setAttributes: (attributes: Record<string, unknown>) =>
          Object.assign(span.attributes, attributes),
        setAttribute: (key: string, value: unknown) => {
          span.attributes[key] = value;
        },
        setStatus: (status: unknown) => {
          span.status = status;
        },
        recordException: () => {},
        end: () => {},
      });
    },
  };
  const telemetry = {
    tracer: () => tracer,
    instruments: () => instruments,
    lags: new Map(),
  } as unknown as ProjectionsTelemetry;
  return { telemetry, spans, counts };
}

describe("partition instrumentation", () => {
  it("wraps a batch in a span that sums its commits, counts events and dead letters, and reports the lag", async () => {
    // Given the instrumentation of partition account:1 of build v2
    const { telemetry, spans, counts } = recordingTelemetry();
    const partition = runnerInstrumentation(telemetry, {
      projection: "balances",
      build: "v2",
      workerId: "w-a",
    }).partition("account", 1);
    // When a live batch commits twice (one dead letter) and the lag falls to 3
    const failure = await partition.batch("live", async () => {
      expect(partition.wantsLag()).toBe(true);
      partition.committed(4, [], 7);
      partition.committed(2, ["handler"], 3);
      return undefined;
    });
    // Then one span tells the whole batch, and the counters and the lag gauge agree
    expect(failure).toBeUndefined();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: "streamstore.projection.batch",
      attributes: {
        "streamstore.projection.name": "balances",
        "streamstore.projection.build": "v2",
        "streamstore.category": "account",
        "streamstore.partition": 1,
        "streamstore.projection.phase": "live",
        "streamstore.worker.id": "w-a",
        "streamstore.batch.size": 6,
        "streamstore.batch.dead_letters": 1,
        "streamstore.batch.lag": 3,
      },
    });
    expect(counts.filter((c) => c.counter === "events").map((c) => c.value)).toEqual([4, 2]);
    expect(counts.find((c) => c.counter === "deadLetters")?.attributes).toMatchObject({
      "streamstore.dead_letter.reason": "handler",
    });
    expect(telemetry.lags.get("v2|account:1")?.value).toBe(3);
    // And releasing the partition stops reporting its lag
    partition.released();
    expect(telemetry.lags.has("v2|account:1")).toBe(false);
  });

  it("marks a failed batch's span failed and counts redeliveries by reason", async () => {
    const { telemetry, spans, counts } = recordingTelemetry();
    const partition = runnerInstrumentation(telemetry, {
      projection: "balances",
      build: "v1",
      workerId: "w-a",
    }).partition("account", 0);
    const error = new Error("handler broke");
    expect(await partition.batch("catch-up", async () => ({ index: 0, error }))).toEqual({
      index: 0,
      error,
    });
    await expect(
      partition.batch("catch-up", async () => {
        throw error;
      }),
    ).rejects.toBe(error);
    partition.redelivered(3, "claimed");
    expect(spans.map((span) => span.status)).toEqual([
      expect.objectContaining({ code: 2 }),
      expect.objectContaining({ code: 2 }),
    ]);
    expect(spans[0]?.attributes["streamstore.projection.phase"]).toBe("catch-up");
    expect(counts).toEqual([
      {
        counter: "redeliveries",
        value: 3,
        attributes: expect.objectContaining({ "streamstore.redelivery.reason": "claimed" }),
      },
    ]);
  });

  it("does nothing by default: the batch runs as is and no lag is asked for", async () => {
    expect(await NO_PARTITION_INSTRUMENTATION.batch("live", async () => undefined)).toBeUndefined();
    expect(NO_PARTITION_INSTRUMENTATION.wantsLag()).toBe(false);
  });
});

describe("reactor instrumentation", () => {
  it("spans each entry with its outcome and counts claims, retries, dead letters and acked entries", async () => {
    const { telemetry, spans, counts } = recordingTelemetry();
    const instrumentation = reactorInstrumentation(telemetry, {
      reactor: "mailer",
      workerId: "w-a",
    });
    const source = { category: "account", partition: 0 };
    await instrumentation.handle(source, "5-0", true, async (probe) => {
      probe.retried();
      probe.deadLettered("handler");
      return "dead-lettered";
    });
    await instrumentation.handle(source, "6-0", false, async () => "retry-later");
    expect(
      spans.map((span) => [
        span.attributes["streamstore.entry_id"],
        span.attributes["streamstore.outcome"],
      ]),
    ).toEqual([
      ["5-0", "dead-lettered"],
      ["6-0", "retry-later"],
    ]);
    expect(
      counts.map((c) => [
        c.counter,
        c.attributes["streamstore.redelivery.reason"] ??
          c.attributes["streamstore.dead_letter.reason"] ??
          null,
      ]),
    ).toEqual([
      ["reactorRedeliveries", "claimed"],
      ["reactorRedeliveries", "retry"],
      ["reactorDeadLetters", "handler"],
      ["reactorEvents", null],
    ]);
  });

  it("runs the handling alone by default", async () => {
    expect(
      await NO_REACTOR_INSTRUMENTATION.handle(
        { category: "a", partition: 0 },
        "1-0",
        true,
        async () => "handled",
      ),
    ).toBe("handled");
  });
});
