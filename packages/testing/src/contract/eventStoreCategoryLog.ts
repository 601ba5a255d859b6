import {
  defineEvents,
  isConcurrencyError,
  isCorruptEventError,
  isPartitionCountMismatchError,
  versionedEvent,
} from "@streamstore/core";
import { partitionOf } from "@streamstore/core/internal";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { EventStoreContractContext } from "./EventStoreContractContext.js";
import {
  bankEvents,
  collect,
  deposit,
  type EventStoreSuite,
  expectRejects,
} from "./eventStoreFixture.js";
import { indexPositions } from "./indexRecords.js";

/**
 * The EventStore contract on the category log and on upcasting older entries.
 * Registered inside the suite's describe, after its `beforeAll`.
 */
export function describeCategoryLog(suite: EventStoreSuite): void {
  let context: EventStoreContractContext;
  beforeAll(() => {
    ({ context } = suite.current());
  });

  describe("the category log", () => {
    it("puts every event in its category partition log with its stream and version", async () => {
      const partitioned = context.createStore(bankEvents, { partitions: 4 });
      const streams = Array.from({ length: 12 }, (_, index) => `account-p${index}`);
      for (const stream of streams) await partitioned.append(stream, [deposit(1), deposit(2)]);
      const seen = new Map<string, number[]>();
      for (let partition = 0; partition < 4; partition++) {
        const entries = await context.redis.xrange(
          partitioned.keys.log("account", partition),
          "-",
          "+",
        );
        for (const [, fields] of entries) {
          const map = new Map<string, string>();
          for (let i = 0; i < fields.length; i += 2)
            map.set(fields[i] as string, fields[i + 1] as string);
          const id = map.get("a") as string;
          expect(partitionOf(id, 4)).toBe(partition);
          seen.set(id, [...(seen.get(id) ?? []), Number(map.get("v"))]);
        }
      }
      expect(seen.size).toBe(12);
      for (const versions of seen.values()) expect(versions).toEqual([1, 2]);
      // and each aggregate's index holds the log positions of its versions, in order
      for (const stream of streams) {
        const { indexKey } = await partitioned.locate(stream);
        const positions = (await collect(partitioned.read(stream))).map((event) => event.position);
        expect(positions).toHaveLength(2);
        expect(indexPositions(await context.redis.getBuffer(indexKey))).toEqual(positions);
      }
    });

    it("refuses a store configured with another partition count than the category was created with", async () => {
      const prefix = context.newPrefix();
      await context
        .createStore(bankEvents, { prefix, partitions: 2 })
        .append("account-1", [deposit(1)]);
      const other = context.createStore(bankEvents, { prefix, partitions: 3 });
      await expectRejects(other.append("account-2", [deposit(1)]), isPartitionCountMismatchError);
      await expectRejects(other.version("account-1"), isPartitionCountMismatchError);
    });
  });

  it("keeps the version after the category log is trimmed, still checks it, and says the trimmed events are gone", async () => {
    // Given a stream of 3 events whose category log is then trimmed empty (own prefix: the log
    // is shared by every stream of the category)
    const trimmed = context.createStore(bankEvents);
    const stream = "account-1";
    const { positions } = await trimmed.append(stream, [deposit(1), deposit(2), deposit(3)]);
    const { logKey } = await trimmed.locate(stream);
    await context.redis.xtrim(logKey, "MAXLEN", 0);
    expect(await context.redis.xlen(logKey)).toBe(0);
    // Then the version is still 3 and expected versions are still checked against it
    expect(await trimmed.version(stream)).toBe(3);
    expect(await trimmed.exists(stream)).toBe(true);
    for (const stale of [0, 2, "no_stream"] as const) {
      const conflict = await expectRejects(
        trimmed.append(stream, [deposit(4)], { expectedVersion: stale }),
        isConcurrencyError,
      );
      expect(conflict).toMatchObject({ actualVersion: 3, streamExists: true });
    }
    // And reading the trimmed events is a typed error saying the log no longer holds them
    const forward = await expectRejects(collect(trimmed.read(stream)), isCorruptEventError);
    expect(forward).toMatchObject({ streamName: stream, version: 1, entryId: positions[0] });
    expect((forward as Error).message).toMatch(/category log no longer holds it/);
    const backward = await expectRejects(
      collect(trimmed.read(stream, { direction: "backward" })),
      isCorruptEventError,
    );
    expect(backward).toMatchObject({ streamName: stream, version: 3, entryId: positions[2] });
    // And appends go on at the kept version, readable from there
    const next = await trimmed.append(stream, [deposit(4)], { expectedVersion: 3 });
    expect(next).toMatchObject({ nextExpectedVersion: 4, firstVersion: 4, duplicate: false });
    const [fourth, ...rest] = await collect(trimmed.read(stream, { from: 4 }));
    expect(rest).toEqual([]);
    expect(fourth).toMatchObject({
      version: 4,
      data: { amount: 4 },
      position: next.positions[0],
    });
    expect(await trimmed.version(stream)).toBe(4);
  });

  it("upcasts entries written with an older schema version on read", async () => {
    const v1 = defineEvents({ Renamed: z.object({ name: z.string() }) });
    const v2 = defineEvents({
      Renamed: versionedEvent(z.object({ first: z.string(), last: z.string() }), {
        version: 2,
        upcasters: {
          1: (old) => {
            const [first = "", last = ""] = (old as { name: string }).name.split(" ");
            return { first, last };
          },
        },
      }),
    });
    const prefix = context.newPrefix();
    await context
      .createStore(v1, { prefix })
      .append("person-1", [{ type: "Renamed", data: { name: "Ada Lovelace" } }]);
    const newer = context.createStore(v2, { prefix });
    await newer.append("person-1", [{ type: "Renamed", data: { first: "Grace", last: "Hopper" } }]);
    const events = await collect(newer.read("person-1"));
    expect(events.map((event) => event.data)).toEqual([
      { first: "Ada", last: "Lovelace" },
      { first: "Grace", last: "Hopper" },
    ]);
    const older = context.createStore(v1, { prefix });
    const error = await expectRejects(collect(older.read("person-1")), isCorruptEventError);
    expect(error).toMatchObject({ streamName: "person-1", version: 2 });
  });
}
