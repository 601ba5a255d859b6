import { randomBytes } from "node:crypto";
import { deleteKeys, dumpKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  type BatchTooLargeError,
  defineEvents,
  getRedisEventStore,
  type InvalidArgumentError,
  isBatchTooLargeError,
  isStreamstoreError,
  MAX_BATCH_BYTES,
  MAX_BATCH_SIZE,
  MAX_PARTITIONS,
  silentLogger,
} from "../src/index.js";
import { encodeEvents } from "../src/internal.js";

// Issue 14: `maxBatchSize: 100000` was accepted, and a batch of 25,000 events with metadata threw
// an untyped RangeError (the append's arguments spread onto the call stack). An append stays one
// all-or-nothing script call, so batches are capped: over the cap is a typed error and nothing is
// written; a cap above MAX_BATCH_SIZE is refused when the store is created.

const events = defineEvents({ Noted: z.object({ n: z.number(), text: z.string().optional() }) });

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
});

function newPrefix(): string {
  const prefix = `limits-${randomBytes(6).toString("hex")}`;
  prefixes.push(prefix);
  return prefix;
}

const batchOf = (size: number, withMetadata: boolean) =>
  Array.from({ length: size }, (_, n) => ({
    type: "Noted" as const,
    data: { n },
    ...(withMetadata ? { metadata: { correlationId: `c-${n}` } } : {}),
  }));

async function refusal(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
}

describe("append batch limits", () => {
  it("appends a batch of MAX_BATCH_SIZE events with metadata (5 arguments each) in one call", async () => {
    // Given a store at the cap
    const prefix = newPrefix();
    const store = getRedisEventStore({
      redis,
      events,
      prefix,
      logger: silentLogger,
      maxBatchSize: MAX_BATCH_SIZE,
    });

    // When a batch of exactly that many events, each with metadata, is appended
    const result = await store.append("notes-1", batchOf(MAX_BATCH_SIZE, true));

    // Then it is stored whole
    expect(result.nextExpectedVersion).toBe(MAX_BATCH_SIZE);
    expect(await redis.xlen((await store.locate("notes-1")).logKey)).toBe(MAX_BATCH_SIZE);
  });

  it.each([
    ["the default maxBatchSize", undefined, 1_001],
    ["MAX_BATCH_SIZE", MAX_BATCH_SIZE, 25_000],
  ])(
    "refuses a batch over %s with BatchTooLargeError, writing nothing",
    async (_, maxBatchSize, size) => {
      // Given a store on a fresh prefix
      const prefix = newPrefix();
      const store = getRedisEventStore({
        redis,
        events,
        prefix,
        logger: silentLogger,
        ...(maxBatchSize === undefined ? {} : { maxBatchSize }),
      });

      // When a batch one over (or far over) the limit is appended, with metadata
      const error = await refusal(() => store.append("notes-1", batchOf(size, true)));

      // Then the refusal is typed, names the limit and says to split, and no key was written
      expect(isBatchTooLargeError(error), String(error)).toBe(true);
      const typed = error as BatchTooLargeError;
      const limit = maxBatchSize ?? 1000;
      expect([typed.code, typed.size, typed.limit, typed.unit]).toEqual([
        "INVALID_ARGUMENT",
        size,
        limit,
        "events",
      ]);
      expect(typed.message).toMatch(/^\[streamstore\] /);
      expect(typed.message).toContain(`over the limit of ${limit} events (maxBatchSize)`);
      expect(typed.message).toContain("split it into several appends");
      expect(await dumpKeys(redis, `${prefix}:*`)).toEqual({});
    },
  );

  it("refuses a batch over MAX_BATCH_BYTES of data with BatchTooLargeError, writing nothing", async () => {
    // Given a store whose events may be large
    const prefix = newPrefix();
    const store = getRedisEventStore({
      redis,
      events,
      prefix,
      logger: silentLogger,
      maxEventBytes: MAX_BATCH_BYTES,
    });
    // Three events of 90 MiB: each one allowed, 270 MiB together (3 x 200 MiB threw
    // "RangeError: Invalid string length" when the command was built)
    const text = "x".repeat(90 * 1024 * 1024);
    const batch = [0, 1, 2].map((n) => ({ type: "Noted" as const, data: { n, text } }));

    // When the batch is appended
    const error = await refusal(() => store.append("notes-1", batch));

    // Then it is refused, typed, in bytes, and nothing was written
    expect(isBatchTooLargeError(error), String(error)).toBe(true);
    const typed = error as BatchTooLargeError;
    expect([typed.unit, typed.limit]).toEqual(["bytes", MAX_BATCH_BYTES]);
    expect(typed.size).toBeGreaterThan(MAX_BATCH_BYTES);
    expect(await dumpKeys(redis, `${prefix}:*`)).toEqual({});
  });

  it("encodeEvents counts a batch's bytes exactly (UTF-8) against its limit", () => {
    // Given events of 2-byte characters: 10 of 60 UTF-8 bytes each is 600 bytes
    const batch = Array.from({ length: 10 }, (_, n) => ({
      type: "Noted" as const,
      data: { n, text: "é".repeat(20) },
    }));
    const bytes = batch.reduce(
      (sum, event) => sum + Buffer.byteLength(JSON.stringify(event.data)),
      0,
    );
    const limits = { maxEventBytes: 1024, maxBatchSize: 100 };

    // When they are encoded with the limit just at, and just under, their bytes
    const at = encodeEvents(events, batch, undefined, { ...limits, maxBatchBytes: bytes });
    const error = (() => {
      try {
        encodeEvents(events, batch, undefined, { ...limits, maxBatchBytes: bytes - 1 });
      } catch (caught) {
        return caught;
      }
    })();

    // Then at the limit passes and one byte under is refused with the exact size
    expect(at).toHaveLength(10);
    expect(isBatchTooLargeError(error)).toBe(true);
    expect((error as BatchTooLargeError).size).toBe(bytes);
  });
});

describe("store options", () => {
  it.each([
    ["maxBatchSize", { maxBatchSize: MAX_BATCH_SIZE + 1 }, MAX_BATCH_SIZE],
    ["maxBatchSize", { maxBatchSize: 100_000 }, MAX_BATCH_SIZE],
    ["maxEventBytes", { maxEventBytes: MAX_BATCH_BYTES + 1 }, MAX_BATCH_BYTES],
  ])("refuses %s over its cap when the store is created", (argument, options, cap) => {
    // When a store is created with an option over its cap
    let error: unknown;
    try {
      getRedisEventStore({ redis, events, logger: silentLogger, ...options });
    } catch (caught) {
      error = caught;
    }

    // Then it is refused at once, naming the option and its range
    expect(isStreamstoreError(error, "INVALID_ARGUMENT"), String(error)).toBe(true);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).toContain(`must be an integer from 1 to ${cap}`);
  });

  it("refuses partitions over MAX_PARTITIONS at a category's first use", async () => {
    // Given a store configured with 1025 partitions
    const store = getRedisEventStore({ redis, events, logger: silentLogger, partitions: 1025 });

    // When a stream of a category is located, Then the option is refused, naming its range
    const error = await refusal(() => store.locate("notes-1"));
    expect(isStreamstoreError(error, "INVALID_ARGUMENT"), String(error)).toBe(true);
    expect((error as Error).message).toContain(`from 1 to ${MAX_PARTITIONS}`);
  });
});
