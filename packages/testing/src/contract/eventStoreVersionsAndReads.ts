import {
  type EventStore,
  isConcurrencyError,
  isIdempotencyConflictError,
  type RecordedEvent,
} from "@streamstore/core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BankEvent,
  type bankEvents,
  collect,
  deposit,
  type EventStoreSuite,
  expectRejects,
} from "./eventStoreFixture.js";

/**
 * The EventStore contract on expected versions, reads and idempotent retries.
 * Registered inside the suite's describe, after its `beforeAll`.
 */
export function describeVersionsAndReads(suite: EventStoreSuite): void {
  let store: EventStore<typeof bankEvents>;
  beforeAll(() => {
    ({ store } = suite.current());
  });
  const newStream = suite.newStream;

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
        (await store.append(stream, [deposit(1)], { expectedVersion: "any" })).nextExpectedVersion,
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
}
