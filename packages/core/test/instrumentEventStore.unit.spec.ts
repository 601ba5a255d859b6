import { describe, expect, it } from "vitest";
import { ConcurrencyError } from "../src/errors/index.js";
import type { AppendResult } from "../src/store/appendTypes.js";
import type { EventStore } from "../src/store/EventStore.js";
import { createCoreTelemetry } from "../src/telemetry/coreTelemetry.js";
import { instrumentEventStore } from "../src/telemetry/instrumentEventStore.js";
import { inMemoryTelemetry, pointsOf, sumOf } from "./support/inMemoryTelemetry.js";

// The decorator on its own: any store's append, no Redis. A store whose append answers what the
// test says, and counts its calls.
function storeAnswering(answer: () => Promise<AppendResult>) {
  const calls: unknown[][] = [];
  const store = {
    append: (...args: unknown[]) => {
      calls.push(args);
      return answer();
    },
  } as unknown as EventStore;
  return { store, calls };
}

const written: AppendResult = {
  streamName: "order-7",
  nextExpectedVersion: 3,
  firstVersion: 2,
  positions: ["1-0", "1-1"],
  partition: 5,
  duplicate: false,
};

describe("instrumentEventStore", () => {
  it("hands a conflict through unchanged and records it: span with the known partition, conflict metrics", async () => {
    // Given a store whose append is refused for a conflict, instrumented with explicit providers
    const refusal = new ConcurrencyError("order-7", 1, 4, true);
    const { store, calls } = storeAnswering(() => Promise.reject(refusal));
    const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();
    instrumentEventStore(store, createCoreTelemetry({ tracerProvider, meterProvider }), {
      knownPartition: (name) => (name.category === "order" ? 3 : undefined),
    });

    // When appending
    const events = [{ type: "Placed", data: {} }];
    const error = await store.append("order-7", events, { expectedVersion: 1 }).catch((e) => e);

    // Then the store's own error comes out, the append was called once with the arguments
    expect(error).toBe(refusal);
    expect(calls).toEqual([["order-7", events, { expectedVersion: 1 }]]);
    // And the span says what happened, with the partition the store knew
    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(span?.name).toBe("streamstore.append");
    expect(span?.status.code).toBe(2);
    expect(span?.attributes).toMatchObject({
      "streamstore.stream": "order-7",
      "streamstore.category": "order",
      "streamstore.partition": 3,
      "streamstore.expected_version_kind": "exact",
      "streamstore.expected_version": 1,
      "streamstore.conflict": true,
      "streamstore.actual_version": 4,
      "error.type": "CONCURRENCY",
    });
    // And the metrics count one conflict, no event written
    expect(sumOf(await pointsOf(reader, "streamstore.append.conflicts"))).toBe(1);
    expect(sumOf(await pointsOf(reader, "streamstore.append.events"))).toBe(0);
    const durations = await pointsOf(reader, "streamstore.append.duration");
    expect(durations.map((point) => point.attributes)).toEqual([
      { "streamstore.category": "order", "streamstore.outcome": "conflict" },
    ]);
  });

  it("takes a written append's partition and counts from the result", async () => {
    // Given a store whose append writes two events (the decorator told no partition)
    const { store } = storeAnswering(() => Promise.resolve(written));
    const { exporter, tracerProvider, reader, meterProvider } = inMemoryTelemetry();
    instrumentEventStore(store, createCoreTelemetry({ tracerProvider, meterProvider }));

    // When appending
    const result = await store.append("order-7", [{ type: "Placed", data: {} }]);

    // Then the result is the store's, and the span and metrics come from it
    expect(result).toBe(written);
    expect(exporter.getFinishedSpans()[0]?.attributes).toMatchObject({
      "streamstore.partition": 5,
      "streamstore.conflict": false,
      "streamstore.duplicate": false,
      "streamstore.next_version": 3,
      "streamstore.expected_version_kind": "any",
    });
    expect(sumOf(await pointsOf(reader, "streamstore.append.events"))).toBe(2);
  });

  it("passes the call straight through, as made, without any provider", async () => {
    // Given no provider given (and none registered in this file)
    const { store, calls } = storeAnswering(() => Promise.resolve(written));
    instrumentEventStore(store, createCoreTelemetry({}));

    // When appending, the store's result comes back and its append got the call as made
    const events = [{ type: "Placed", data: {} }];
    expect(await store.append("order-7", events)).toBe(written);
    expect(calls).toEqual([["order-7", events, {}]]);
  });
});
