import { type EventStore, isCorruptEventError } from "@streamstore/core";
import { beforeAll, describe, expect, it } from "vitest";
import type { EventStoreContractContext } from "./EventStoreContractContext.js";
import {
  bankEvents,
  collect,
  deposit,
  dumpPrefix,
  type EventStoreSuite,
  expectRejects,
} from "./eventStoreFixture.js";
import { indexRecord } from "./indexRecords.js";

/**
 * The EventStore contract on hand-written entries and indexes.
 * Registered inside the suite's describe, after its `beforeAll`.
 */
export function describeHandWrittenEntries(suite: EventStoreSuite): void {
  let context: EventStoreContractContext;
  let store: EventStore<typeof bankEvents>;
  beforeAll(() => {
    ({ context, store } = suite.current());
  });
  const newStream = suite.newStream;

  describe("hand-written entries and indexes", () => {
    /** Writes `fields` to the stream's category log by hand and makes it the stream's next version. */
    const plant = async (stream: string, fields: string[]): Promise<string> => {
      const { indexKey, logKey } = await store.locate(stream);
      const position = (await context.redis.xadd(logKey, "*", ...fields)) as string;
      await context.redis.append(indexKey, indexRecord(position));
      return position;
    };
    const idOf = (stream: string) => stream.slice(stream.indexOf("-") + 1);

    it("gives a typed error naming stream, version, entry and reason for hand-written log entries", async () => {
      const stream = newStream();
      await store.append(stream, [deposit(1)]);
      const a = idOf(stream);
      const cases: [(version: string) => string[], RegExp][] = [
        [(v) => ["i", "x", "t", "Deposited", "d", "{not json", "a", a, "v", v], /not valid JSON/],
        [
          (v) => ["i", "x", "t", "Teleported", "d", "{}", "a", a, "v", v],
          /not in the event catalog/,
        ],
        [
          (v) => ["i", "x", "t", "Deposited", "d", '{"amount":-5}', "a", a, "v", v],
          /does not match the schema/,
        ],
        [(v) => ["t", "Deposited", "d", '{"amount":5}', "a", a, "v", v], /no event id/],
      ];
      for (const [index, [fields, reason]] of cases.entries()) {
        const version = index + 2;
        const position = await plant(stream, fields(String(version)));
        expect(await store.version(stream)).toBe(version);
        const error = await expectRejects(
          collect(store.read(stream, { from: version })),
          isCorruptEventError,
        );
        expect(error).toMatchObject({ streamName: stream, version, entryId: position });
        expect((error as Error).message).toMatch(reason);
      }
    });

    it("refuses an index record that points at another aggregate's entry or another version", async () => {
      // Given a stream whose index gets a record of another stream's event, then one of its own
      // first event again
      const stream = newStream();
      const other = newStream();
      const [own] = (await store.append(stream, [deposit(1)])).positions;
      const [foreign] = (await store.append(other, [deposit(2)])).positions;
      const { indexKey } = await store.locate(stream);
      await context.redis.append(indexKey, indexRecord(foreign as string));
      await context.redis.append(indexKey, indexRecord(own as string));
      expect(await store.version(stream)).toBe(3);
      // When each is read, Then a typed error names the entry it points at
      const cases: [number, string, RegExp][] = [
        [2, foreign as string, new RegExp(`log entry of "${other}" version 1`)],
        [3, own as string, new RegExp(`log entry of "${stream}" version 1`)],
      ];
      for (const [version, entryId, reason] of cases) {
        const error = await expectRejects(
          collect(store.read(stream, { from: version, to: version })),
          isCorruptEventError,
        );
        expect(error).toMatchObject({ streamName: stream, version, entryId });
        expect((error as Error).message).toMatch(reason);
      }
      // And the version before them still reads
      const [first] = await collect(store.read(stream, { to: 1 }));
      expect(first).toMatchObject({ version: 1, position: own, data: { amount: 1 } });
    });

    it("refuses an index that is not whole records, on append, read, version and exists, and writes nothing", async () => {
      // Given a stream whose index got one stray byte (own prefix, to compare all of it)
      const prefix = context.newPrefix();
      const guarded = context.createStore(bankEvents, { prefix });
      const stream = "account-1";
      await guarded.append(stream, [deposit(1)]);
      const { indexKey } = await guarded.locate(stream);
      await context.redis.append(indexKey, Buffer.from([0]));
      const before = await dumpPrefix(context, prefix);
      // When it is appended to (every expected-version kind) and read
      for (const expectedVersion of ["any", "stream_exists", 1, "no_stream", 0] as const) {
        const error = await expectRejects(
          guarded.append(stream, [deposit(2)], { expectedVersion }),
          isCorruptEventError,
        );
        expect(error).toMatchObject({ streamName: stream, entryId: indexKey });
        expect((error as Error).message).toMatch(/13 bytes, not whole 12-byte records/);
      }
      for (const direction of ["forward", "backward"] as const) {
        const error = await expectRejects(
          collect(guarded.read(stream, { direction })),
          isCorruptEventError,
        );
        expect(error).toMatchObject({ streamName: stream, entryId: indexKey });
        expect((error as Error).message).toMatch(/13 bytes, not whole 12-byte records/);
      }
      for (const call of [() => guarded.version(stream), () => guarded.exists(stream)]) {
        const error = await expectRejects(call(), isCorruptEventError);
        expect(error).toMatchObject({ streamName: stream, entryId: indexKey });
      }
      // Then nothing was written
      expect(await dumpPrefix(context, prefix)).toEqual(before);
    });

    it("refuses a version whose log entry was deleted, naming it, and reads the others", async () => {
      // Given a stream of 3 events whose version 2 is deleted from the category log
      const stream = newStream();
      const { positions } = await store.append(stream, [deposit(1), deposit(2), deposit(3)]);
      const { logKey } = await store.locate(stream);
      expect(await context.redis.xdel(logKey, positions[1] as string)).toBe(1);
      // Then the version stays 3, and reading over version 2 is a typed error naming it
      expect(await store.version(stream)).toBe(3);
      for (const direction of ["forward", "backward"] as const) {
        const error = await expectRejects(
          collect(store.read(stream, { direction })),
          isCorruptEventError,
        );
        expect(error).toMatchObject({ streamName: stream, version: 2, entryId: positions[1] });
        expect((error as Error).message).toMatch(/category log no longer holds it/);
      }
      // And the versions around it still read
      const around = [
        ...(await collect(store.read(stream, { to: 1 }))),
        ...(await collect(store.read(stream, { from: 3 }))),
      ];
      expect(around.map((event) => [event.version, event.position])).toEqual([
        [1, positions[0]],
        [3, positions[2]],
      ]);
    });
  });
}
