import {
  aggregateStream,
  type Decider,
  defineEvents,
  type EventOf,
  type EventStore,
  handleCommand,
  isConcurrencyError,
  isCorruptEventError,
  isEventTooLargeError,
  isIdempotencyConflictError,
  isInvalidArgumentError,
  isInvalidEventError,
  isInvalidStreamNameError,
  isPartitionCountMismatchError,
  isUnknownEventTypeError,
  type RecordedEvent,
  versionedEvent,
} from "@streamstore/core";
import { partitionOf } from "@streamstore/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { dumpKeys, type EventStoreContractContext } from "./EventStoreContractContext.js";
import { indexPositions, indexRecord } from "./indexRecords.js";
import { describeCategoryReads } from "./testCategoryReads.js";

const bankEvents = defineEvents({
  Opened: z.object({ owner: z.string() }),
  Deposited: z.object({ amount: z.number().positive() }),
  Withdrawn: z.object({ amount: z.number().positive() }),
});
type BankEvent = EventOf<typeof bankEvents>;
type Deposit = { amount: number };
const account: Decider<{ balance: number; count: number }, Deposit, BankEvent> = {
  initialState: () => ({ balance: 0, count: 0 }),
  evolve: (state, event) => {
    state.count += 1;
    if (event.type === "Deposited") state.balance += event.data.amount;
    if (event.type === "Withdrawn") state.balance -= event.data.amount;
  },
  decide: (command) => [{ type: "Deposited", data: { amount: command.amount } }],
};

async function collect<EventType>(iterable: AsyncIterable<EventType>): Promise<EventType[]> {
  const items: EventType[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function expectRejects(
  promise: Promise<unknown>,
  guard: (error: unknown) => boolean,
): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the call to fail").toBeDefined();
  expect(guard(error), `unexpected error: ${String(error)}`).toBe(true);
  return error;
}

/** Every key under a prefix with its full contents, to prove a refused call wrote nothing. */
const dumpPrefix = (context: EventStoreContractContext, prefix: string) =>
  dumpKeys(context.redis, `${prefix}:*`);

const deposit = (amount: number, id?: string) => ({
  type: "Deposited" as const,
  data: { amount },
  ...(id ? { id } : {}),
});

/**
 * The behaviour every streamstore event store must have, as a vitest suite: expected-version
 * kinds, reads in both directions with bounds and paging, category reads (`readCategory`,
 * `iterateCategory`) over every partition or one, idempotent retries, upcasting,
 * snapshots, versions that survive trimming the category log, and typed errors on hand-written
 * entries and indexes. Run it
 * against your own setup (a Redis, a Cluster, the fake) to check it before production does.
 *
 * @example
 * import { createContractContext, testEventStore } from "@streamstore/testing/contract";
 * testEventStore("my Redis", async () => createContractContext(new Redis(process.env.REDIS_URL)));
 */
export function testEventStore(
  label: string,
  setup: () => Promise<EventStoreContractContext>,
): void {
  describe(`EventStore contract (${label})`, () => {
    let context: EventStoreContractContext;
    let store: EventStore<typeof bankEvents>;
    beforeAll(async () => {
      context = await setup();
      store = context.createStore(bankEvents);
    });
    afterAll(async () => {
      await context?.close();
    });
    let counter = 0;
    const newStream = () => `account-${++counter}`;

    describe("expected versions", () => {
      it('appends to a new stream with "no_stream" and refuses it once the stream exists', async () => {
        // Given
        const stream = newStream();
        // When
        const first = await store.append(stream, [deposit(1)], { expectedVersion: "no_stream" });
        // Then
        expect(first).toMatchObject({ nextExpectedVersion: 1, firstVersion: 1, duplicate: false });
        const error = await expectRejects(
          store.append(stream, [deposit(2)], { expectedVersion: "no_stream" }),
          isConcurrencyError,
        );
        expect(error).toMatchObject({
          actualVersion: 1,
          streamExists: true,
          expectedVersion: "no_stream",
        });
        expect(await store.version(stream)).toBe(1);
      });

      it('refuses "stream_exists" on a missing stream and accepts it on an existing one', async () => {
        const stream = newStream();
        const error = await expectRejects(
          store.append(stream, [deposit(1)], { expectedVersion: "stream_exists" }),
          isConcurrencyError,
        );
        expect(error).toMatchObject({ actualVersion: 0, streamExists: false });
        expect(await store.exists(stream)).toBe(false);
        await store.append(stream, [deposit(1)]);
        const result = await store.append(stream, [deposit(2)], {
          expectedVersion: "stream_exists",
        });
        expect(result.nextExpectedVersion).toBe(2);
      });

      it("accepts an exact version that matches and refuses one that does not, reporting the actual version", async () => {
        const stream = newStream();
        await store.append(stream, [deposit(1), deposit(2)], { expectedVersion: 0 });
        const ok = await store.append(stream, [deposit(3)], { expectedVersion: 2 });
        expect(ok).toMatchObject({ nextExpectedVersion: 3, firstVersion: 3 });
        for (const stale of [0, 1, 2, 4]) {
          const error = await expectRejects(
            store.append(stream, [deposit(9)], { expectedVersion: stale }),
            isConcurrencyError,
          );
          expect(error).toMatchObject({
            actualVersion: 3,
            expectedVersion: stale,
            streamExists: true,
          });
        }
        expect(await store.version(stream)).toBe(3);
      });

      it("refuses an exact version above 0 on a missing stream instead of skipping the check", async () => {
        const stream = newStream();
        const error = await expectRejects(
          store.append(stream, [deposit(1)], { expectedVersion: 3 }),
          isConcurrencyError,
        );
        expect(error).toMatchObject({ actualVersion: 0, streamExists: false });
        expect(await store.exists(stream)).toBe(false);
      });

      it('appends with "any" whatever the stream holds', async () => {
        const stream = newStream();
        expect((await store.append(stream, [deposit(1)])).nextExpectedVersion).toBe(1);
        expect(
          (await store.append(stream, [deposit(1)], { expectedVersion: "any" }))
            .nextExpectedVersion,
        ).toBe(2);
      });
    });

    describe("reading", () => {
      let stream: string;
      beforeAll(async () => {
        stream = newStream();
        await store.append(stream, [{ type: "Opened", data: { owner: "ada" } }]);
        for (let amount = 1; amount <= 9; amount++) await store.append(stream, [deposit(amount)]);
      });

      it("reads forward in version order with every stored field", async () => {
        const events = await collect(store.read(stream));
        expect(events.map((event) => event.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const first = events[0] as RecordedEvent<BankEvent>;
        expect(first).toMatchObject({
          type: "Opened",
          data: { owner: "ada" },
          streamName: stream,
          category: "account",
        });
        expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(first.position).toMatch(/^\d+-\d+$/);
        expect(first.timestamp.getTime()).toBe(Number(first.position.split("-")[0]));
      });

      it("reads backward, from, to and limit", async () => {
        const versions = async (options: Parameters<typeof store.read>[1]) =>
          (await collect(store.read(stream, options))).map((event) => event.version);
        expect(await versions({ direction: "backward" })).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        expect(await versions({ from: 4, to: 6 })).toEqual([4, 5, 6]);
        expect(await versions({ from: 8 })).toEqual([8, 9, 10]);
        expect(await versions({ direction: "backward", to: 5, limit: 2 })).toEqual([5, 4]);
        expect(await versions({ direction: "backward", from: 8 })).toEqual([10, 9, 8]);
        expect(await versions({ limit: 3, pageSize: 2 })).toEqual([1, 2, 3]);
        expect(await versions({ from: 11 })).toEqual([]);
        expect(await versions({ limit: 0 })).toEqual([]);
        // Version 0 holds no event, whichever the direction
        expect(await versions({ to: 0 })).toEqual([]);
        expect(await versions({ direction: "backward", to: 0 })).toEqual([]);
        expect(await versions({ direction: "backward", to: 3, from: 5 })).toEqual([]);
      });

      it("reads nothing from a missing stream", async () => {
        expect(await collect(store.read(newStream()))).toEqual([]);
        expect(await store.version("account-missing")).toBe(0);
      });
    });

    it("pages through a 10,000-event stream in both directions without loss", async () => {
      // Given
      const stream = newStream();
      for (let batch = 0; batch < 10; batch++) {
        await store.append(
          stream,
          Array.from({ length: 1000 }, (_, index) => deposit(batch * 1000 + index + 1)),
          { expectedVersion: batch * 1000 },
        );
      }
      // When
      let count = 0;
      let sum = 0;
      for await (const event of store.read(stream, { pageSize: 333 })) {
        count += 1;
        expect(event.version).toBe(count);
        if (event.type === "Deposited") sum += event.data.amount;
      }
      let expected = 10_000;
      for await (const event of store.read(stream, { direction: "backward", pageSize: 777 })) {
        expect(event.version).toBe(expected);
        expected -= 1;
      }
      // Then
      expect(count).toBe(10_000);
      expect(sum).toBe((10_000 * 10_001) / 2);
      expect(expected).toBe(0);
      expect(await store.version(stream)).toBe(10_000);
    });

    describeCategoryReads(() => context);

    describe("idempotency", () => {
      it("returns the first result and writes nothing when the same event ids are appended again", async () => {
        const stream = newStream();
        const first = await store.append(stream, [deposit(1, "a"), deposit(2, "b")]);
        const again = await store.append(stream, [deposit(1, "a"), deposit(2, "b")]);
        expect(again).toEqual({ ...first, duplicate: true });
        const exact = await store.append(stream, [deposit(1, "a"), deposit(2, "b")], {
          expectedVersion: 0,
        });
        expect(exact).toEqual({ ...first, duplicate: true });
        expect(await store.version(stream)).toBe(2);
      });

      it("recognises a retried append at its expected version even after other appends followed it", async () => {
        const stream = newStream();
        await store.append(stream, [deposit(1)]);
        const first = await store.append(stream, [deposit(2, "x1"), deposit(3, "x2")], {
          expectedVersion: 1,
        });
        await store.append(stream, [deposit(4)]);
        const retry = await store.append(stream, [deposit(2, "x1"), deposit(3, "x2")], {
          expectedVersion: 1,
        });
        expect(retry).toEqual({ ...first, duplicate: true });
        expect(await store.version(stream)).toBe(4);
      });

      it("refuses the same ids with another payload, or in another batch shape, and writes nothing", async () => {
        const stream = newStream();
        await store.append(stream, [deposit(1, "p"), deposit(2, "q")]);
        await expectRejects(
          store.append(stream, [deposit(1, "p"), deposit(99, "q")]),
          isIdempotencyConflictError,
        );
        await expectRejects(
          store.append(stream, [deposit(2, "q"), deposit(5, "r")]),
          isIdempotencyConflictError,
        );
        await expectRejects(
          store.append(stream, [deposit(1, "p"), deposit(2, "q"), deposit(3, "s")], {
            expectedVersion: 0,
          }),
          isIdempotencyConflictError,
        );
        expect(await store.version(stream)).toBe(2);
      });
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
          const positions = (await collect(partitioned.read(stream))).map(
            (event) => event.position,
          );
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
      await newer.append("person-1", [
        { type: "Renamed", data: { first: "Grace", last: "Hopper" } },
      ]);
      const events = await collect(newer.read("person-1"));
      expect(events.map((event) => event.data)).toEqual([
        { first: "Ada", last: "Lovelace" },
        { first: "Grace", last: "Hopper" },
      ]);
      const older = context.createStore(v1, { prefix });
      const error = await expectRejects(collect(older.read("person-1")), isCorruptEventError);
      expect(error).toMatchObject({ streamName: "person-1", version: 2 });
    });

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

    describe("snapshots", () => {
      const snapshotting = { ...account, snapshot: { every: 5, schemaVersion: 1 } };

      it("stores a snapshot every N events and loads from it to the same state as a full replay", async () => {
        const stream = newStream();
        for (let amount = 1; amount <= 12; amount++)
          await handleCommand(store, stream, snapshotting, { amount });
        const snapshot = await store.readSnapshot(stream);
        expect(snapshot).toMatchObject({
          version: 10,
          schemaVersion: 1,
          state: { balance: 55, count: 10 },
        });
        const fromSnapshot = await aggregateStream(store, stream, snapshotting);
        const replayed = await aggregateStream(store, stream, account);
        expect(fromSnapshot.fromSnapshot).toBe(true);
        expect(replayed.fromSnapshot).toBe(false);
        expect(fromSnapshot.state).toEqual(replayed.state);
        expect(fromSnapshot.state).toEqual({ balance: 78, count: 12 });
        expect(fromSnapshot.version).toBe(12);
      });

      it("ignores a snapshot of another schema version, or one that is unreadable", async () => {
        const stream = newStream();
        for (let amount = 1; amount <= 6; amount++)
          await handleCommand(store, stream, snapshotting, { amount });
        const newerShape = { ...account, snapshot: { every: 5, schemaVersion: 2 } };
        const loaded = await aggregateStream(store, stream, newerShape);
        expect(loaded).toMatchObject({
          fromSnapshot: false,
          version: 6,
          state: { balance: 21, count: 6 },
        });
        const { snapshotKey } = await store.locate(stream);
        await context.redis.hset(snapshotKey, "doc", "{broken");
        const afterDamage = await aggregateStream(store, stream, snapshotting);
        expect(afterDamage).toMatchObject({
          fromSnapshot: false,
          version: 6,
          state: { balance: 21, count: 6 },
        });
      });

      it("ignores a snapshot whose event is no longer at its version", async () => {
        const stream = newStream();
        for (let amount = 1; amount <= 5; amount++)
          await handleCommand(store, stream, snapshotting, { amount });
        const { snapshotKey, indexKey } = await store.locate(stream);
        expect(await context.redis.exists(snapshotKey)).toBe(1);
        // The aggregate starts over: its index is gone, its old events are left in the log
        await context.redis.del(indexKey);
        expect(await store.version(stream)).toBe(0);
        await store.append(stream, [deposit(100)]);
        const loaded = await aggregateStream(store, stream, snapshotting);
        expect(loaded).toMatchObject({
          fromSnapshot: false,
          version: 1,
          state: { balance: 100, count: 1 },
        });
      });
    });

    it("handles a command by loading, deciding and appending at the loaded version", async () => {
      const stream = newStream();
      const first = await handleCommand(store, stream, account, { amount: 5 });
      const second = await handleCommand(store, stream, account, { amount: 7 });
      expect(first).toMatchObject({ nextExpectedVersion: 1, newState: { balance: 5 }, retries: 0 });
      expect(second).toMatchObject({ nextExpectedVersion: 2, newState: { balance: 12, count: 2 } });
      expect(second.newEvents).toEqual([
        expect.objectContaining({ type: "Deposited", data: { amount: 7 } }),
      ]);
    });

    describe("bad input", () => {
      it("refuses bad input with a typed error and leaves Redis exactly as it was", async () => {
        // Given a store with one stream and a small event size limit
        const prefix = context.newPrefix();
        const guarded = context.createStore(bankEvents, { prefix, maxEventBytes: 2048 });
        await guarded.append("account-1", [deposit(1)]);
        const before = await dumpPrefix(context, prefix);
        const attempts: [string, () => Promise<unknown>, (error: unknown) => boolean][] = [
          [
            "payload failing its schema",
            () => guarded.append("account-1", [deposit(-1)]),
            isInvalidEventError,
          ],
          [
            "one bad event in a batch",
            () =>
              guarded.append("account-1", [
                deposit(1),
                { type: "Withdrawn", data: { amount: "x" } } as never,
              ]),
            isInvalidEventError,
          ],
          [
            "unknown type",
            () => guarded.append("account-1", [{ type: "Teleported", data: {} } as never]),
            isUnknownEventTypeError,
          ],
          ["empty batch", () => guarded.append("account-1", []), isInvalidArgumentError],
          [
            "event over the size limit",
            () =>
              guarded.append("account-1", [{ type: "Opened", data: { owner: "x".repeat(3000) } }]),
            isEventTooLargeError,
          ],
          ["empty stream name", () => guarded.append("", [deposit(1)]), isInvalidStreamNameError],
          [
            "no category separator",
            () => guarded.append("account", [deposit(1)]),
            isInvalidStreamNameError,
          ],
          ["empty id", () => guarded.append("account-", [deposit(1)]), isInvalidStreamNameError],
          [
            "opening brace",
            () => guarded.append("account-{1", [deposit(1)]),
            isInvalidStreamNameError,
          ],
          [
            "closing brace",
            () => guarded.append("account-1}", [deposit(1)]),
            isInvalidStreamNameError,
          ],
          [
            "brace in category",
            () => guarded.append("acc{ount-1", [deposit(1)]),
            isInvalidStreamNameError,
          ],
          [
            "control character",
            () => guarded.append("account-1\u0000", [deposit(1)]),
            isInvalidStreamNameError,
          ],
          ["newline", () => guarded.append("account-1\n2", [deposit(1)]), isInvalidStreamNameError],
          [
            "10 KB name",
            () => guarded.append(`account-${"x".repeat(10_240)}`, [deposit(1)]),
            isInvalidStreamNameError,
          ],
          [
            "negative expected version",
            () => guarded.append("account-1", [deposit(1)], { expectedVersion: -1 }),
            isInvalidArgumentError,
          ],
          [
            "fractional expected version",
            () => guarded.append("account-1", [deposit(1)], { expectedVersion: 1.5 }),
            isInvalidArgumentError,
          ],
          [
            "unknown expected version kind",
            () => guarded.append("account-1", [deposit(1)], { expectedVersion: "latest" as never }),
            isInvalidArgumentError,
          ],
          [
            "duplicate ids in one batch",
            () => guarded.append("account-1", [deposit(1, "same"), deposit(2, "same")]),
            isInvalidArgumentError,
          ],
          [
            "a BigInt in metadata",
            () => guarded.append("account-1", [{ ...deposit(1), metadata: { big: 1n } }]),
            isInvalidEventError,
          ],
          [
            "NaN in metadata",
            () => guarded.append("account-1", [{ ...deposit(1), metadata: { n: Number.NaN } }]),
            isInvalidEventError,
          ],
        ];
        for (const [name, attempt, guard] of attempts) {
          // When
          const error = await attempt().then(
            () => undefined,
            (caught: unknown) => caught,
          );
          // Then
          expect(guard(error), `${name}: got ${String(error)}`).toBe(true);
          expect((error as Error).message, name).toMatch(/^\[streamstore\] /);
        }
        expect(await dumpPrefix(context, prefix)).toEqual(before);
      });
    });

    it("stores metadata, correlation and causation ids and caller-chosen ids", async () => {
      const stream = newStream();
      await store.append(
        stream,
        [{ ...deposit(1, "evt-1"), metadata: { causationId: "cmd-9", tenant: "t1" } }],
        {
          metadata: { correlationId: "req-1", causationId: "overridden" },
        },
      );
      const [event] = await collect(store.read(stream));
      expect(event).toMatchObject({
        id: "evt-1",
        metadata: { correlationId: "req-1", causationId: "cmd-9", tenant: "t1" },
      });
    });
  });
}
