import { randomBytes } from "node:crypto";
import { deleteKeys, dumpKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  type CorruptCategoryRegistryError,
  defineEvents,
  getRedisEventStore,
  isCorruptCategoryRegistryError,
  MAX_PARTITIONS,
  silentLogger,
} from "../src/index.js";
import {
  keyLayout,
  parsePartitionCount,
  readCategoryRegistry,
  readPartitionCount,
  STORAGE_LAYOUT_VERSION,
} from "../src/internal.js";

// Issue 14: a category registry entry (`<prefix>:categories`, category -> partition count) of
// 100000000 made the CLI allocate and loop for 15 s up to 1.57 GB, and 1e10 threw a RangeError.
// Every reader checks the value as read: a typed error naming the key and the field, nothing read
// or written for that category, the other categories unaffected.

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
const BAD_VALUES = ["100000000", "1e10", "-1", "abc"] as const;

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
});

/** A prefix of this layout whose registry has a valid "good" category and "bad" = `value`. */
async function registryWith(value: string) {
  const prefix = `registry-${randomBytes(6).toString("hex")}`;
  prefixes.push(prefix);
  const keys = keyLayout(prefix);
  await redis.set(keys.layout(), String(STORAGE_LAYOUT_VERSION));
  await redis.hset(keys.categories(), "good", "2", "bad", value);
  return { prefix, keys };
}

async function refusal(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
}

function expectRegistryError(error: unknown, key: string, value: string): void {
  expect(isCorruptCategoryRegistryError(error), String(error)).toBe(true);
  const typed = error as CorruptCategoryRegistryError;
  expect([typed.code, typed.key, typed.field, typed.value]).toEqual([
    "CORRUPT_CATEGORY_REGISTRY",
    key,
    "bad",
    value,
  ]);
  expect(typed.message).toMatch(/^\[streamstore\] /);
  expect(typed.message).toContain(`${key} holds field "bad"`);
  expect(typed.message).toContain(`from 1 to ${MAX_PARTITIONS}`);
}

describe.each(BAD_VALUES)("a registry entry of %s", (value) => {
  it("is a typed error naming the key and field in the library's readers", async () => {
    // Given a registry with a valid category and the bad entry
    const { keys } = await registryWith(value);

    // When the registry is read entry by entry and whole
    const one = await refusal(() => readPartitionCount(redis, keys, "bad"));
    const whole = await readCategoryRegistry(redis, keys);

    // Then the bad entry is a typed error, and the whole read keeps the valid category
    expectRegistryError(one, keys.categories(), value);
    expect(await readPartitionCount(redis, keys, "good")).toBe(2);
    expect(whole.categories).toEqual([{ category: "good", partitions: 2 }]);
    expect(whole.invalid).toHaveLength(1);
    expectRegistryError(whole.invalid[0], keys.categories(), value);
  });

  it("is refused by the store's append, read and partitionsOf, writing nothing", async () => {
    // Given the registry, and a store whose configuration agrees on "good"
    const { prefix, keys } = await registryWith(value);
    const store = getRedisEventStore({
      redis,
      events,
      prefix,
      logger: silentLogger,
      partitions: 2,
    });
    const before = await dumpKeys(redis, `${prefix}:*`);

    // When the bad category is appended to, read and asked for its partitions
    const append = await refusal(() => store.append("bad-1", [{ type: "Noted", data: { n: 1 } }]));
    const read = await refusal(async () => {
      for await (const _ of store.read("bad-1")) break;
    });
    const partitions = await refusal(() => store.partitionsOf("bad"));

    // Then each is the typed error, nothing changed, and the valid category still works
    for (const error of [append, read, partitions]) {
      expectRegistryError(error, keys.categories(), value);
    }
    expect(await dumpKeys(redis, `${prefix}:*`)).toEqual(before);
    await store.append("good-1", [{ type: "Noted", data: { n: 1 } }]);
    expect(await store.version("good-1")).toBe(1);
  });
});

describe("parsePartitionCount", () => {
  it("accepts exactly the counts streamstore writes: 1 to MAX_PARTITIONS, plain digits", () => {
    // Given counts at and around the bounds, and other spellings of valid numbers
    const accepted = ["1", "7", String(MAX_PARTITIONS)];
    const refused = ["0", String(MAX_PARTITIONS + 1), "01", "1.0", " 4", "4 ", "+4", "0x10", ""];

    // When each is parsed, Then only the plain counts in range pass
    expect(accepted.map((text) => parsePartitionCount("ss:categories", "c", text))).toEqual([
      1,
      7,
      MAX_PARTITIONS,
    ]);
    for (const text of refused) {
      expect(
        isCorruptCategoryRegistryError(
          (() => {
            try {
              parsePartitionCount("ss:categories", "c", text);
            } catch (error) {
              return error;
            }
          })(),
        ),
        JSON.stringify(text),
      ).toBe(true);
    }
  });

  it("refuses a field that is not a category name, shortening what it quotes", () => {
    // Given a field name no category can have, a kilobyte long
    const field = `{x}${"y".repeat(1000)}`;

    // When it is parsed
    let error: unknown;
    try {
      parsePartitionCount("ss:categories", field, "1");
    } catch (caught) {
      error = caught;
    }

    // Then it is the typed error, quoting at most 81 characters of it
    expect(isCorruptCategoryRegistryError(error)).toBe(true);
    expect((error as CorruptCategoryRegistryError).field).toHaveLength(81);
    expect((error as Error).message).toContain("is not a category name");
  });
});
