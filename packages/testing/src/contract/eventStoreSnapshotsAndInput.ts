import {
  aggregateStream,
  type EventStore,
  handleCommand,
  isEventTooLargeError,
  isInvalidArgumentError,
  isInvalidEventError,
  isInvalidStreamNameError,
  isUnknownEventTypeError,
} from "@streamstore/core";
import { beforeAll, describe, expect, it } from "vitest";
import type { EventStoreContractContext } from "./EventStoreContractContext.js";
import {
  account,
  bankEvents,
  collect,
  deposit,
  dumpPrefix,
  type EventStoreSuite,
} from "./eventStoreFixture.js";

/**
 * The EventStore contract on snapshots, handleCommand, bad input and metadata.
 * Registered inside the suite's describe, after its `beforeAll`.
 */
export function describeSnapshotsAndBadInput(suite: EventStoreSuite): void {
  let context: EventStoreContractContext;
  let store: EventStore<typeof bankEvents>;
  beforeAll(() => {
    ({ context, store } = suite.current());
  });
  const newStream = suite.newStream;

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
}
