import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ZodType, z } from "zod";
import {
  defineEvents,
  type EventStore,
  getRedisEventStore,
  isStreamstoreError,
  silentLogger,
} from "../src/index.js";

// Issue 8, "hostile input": payloads and metadata built to pollute prototypes, exhaust the stack
// or lose meaning through JSON. Each must either be refused with a typed error before anything is
// written, or be stored and read back deep-equal (node's isDeepStrictEqual: prototypes, own keys,
// Dates and -0 included) to what the schema made of it, without touching any prototype.

const schemas = {
  Record: z.record(z.string(), z.any()),
  Any: z.any(),
  Unknown: z.unknown(),
  Loose: z.looseObject({}),
  CoercedDate: z.object({ value: z.coerce.date() }),
  StrictDate: z.object({ value: z.date() }),
} satisfies Record<string, ZodType>;
type SchemaName = keyof typeof schemas;
const events = defineEvents(schemas);

const DEPTH = 10_000;

function nested(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = wrap(value);
  return value;
}

function withOwnKeys(): Record<string, unknown> {
  const value: Record<string, unknown> = { plain: 1 };
  for (const key of ["__proto__", "constructor", "prototype"]) {
    Object.defineProperty(value, key, {
      value: key === "constructor" ? { prototype: { polluted: "yes" } } : { polluted: "yes" },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return value;
}

class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
}

const sparse: unknown[] = [1];
sparse[3] = 4;
const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;
const huge = Object.fromEntries(Array.from({ length: 50_000 }, (_, index) => [`k${index}`, index]));
const throwingGetter = Object.defineProperty({}, "boom", {
  enumerable: true,
  get() {
    throw new Error("getter says no");
  },
});
const hostileProxy = new Proxy(
  {},
  {
    ownKeys() {
      throw new Error("proxy says no");
    },
  },
);

/** Values put under `value` of the payload (and of metadata). */
const hostileValues: Record<string, () => unknown> = {
  "__proto__/constructor/prototype keys from JSON.parse": () =>
    JSON.parse(
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"list":[{"__proto__":{"polluted":"yes"}}]}',
    ),
  "__proto__/constructor/prototype own keys from Object.defineProperty": withOwnKeys,
  "an array of objects with __proto__ keys": () => [withOwnKeys(), JSON.parse('{"__proto__":[1]}')],
  "objects nested 10,000 levels": () => nested(DEPTH, 1, (inner) => ({ a: inner })),
  "arrays nested 10,000 levels": () => nested(DEPTH, 1, (inner) => [inner]),
  "__proto__ objects nested 10,000 levels": () =>
    JSON.parse(`${'{"__proto__":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}`),
  "objects nested 200 levels": () => nested(200, "leaf", (inner) => ({ a: inner })),
  "an object of 50,000 keys": () => huge,
  "an array of 100,000 numbers": () => Array.from({ length: 100_000 }, (_, index) => index),
  "a 2 MiB string": () => "x".repeat(2 * 1024 * 1024),
  "a BigInt": () => 10n,
  NaN: () => Number.NaN,
  Infinity: () => Number.POSITIVE_INFINITY,
  "-Infinity": () => Number.NEGATIVE_INFINITY,
  "a Date": () => new Date("2024-02-29T12:00:00.000Z"),
  "an invalid Date": () => new Date(Number.NaN),
  "undefined in an array": () => [1, undefined, 3],
  "a sparse array": () => sparse,
  "a function": () => () => 1,
  "a symbol": () => Symbol("s"),
  "a Map": () => new Map([["a", 1]]),
  "a Set": () => new Set([1, 2]),
  "a class instance": () => new Money(5, "EUR"),
  "a RegExp": () => /x/g,
  "a Uint8Array": () => new Uint8Array([1, 2]),
  "a boxed number": () => Object(1),
  "a getter that throws": () => throwingGetter,
  "a Proxy that throws": () => hostileProxy,
  "a cycle": () => cycle,
};

const REFUSED_CODES = new Set(["INVALID_EVENT", "EVENT_TOO_LARGE"]);

let redis: Redis;
let prefix: string;
let store: EventStore<typeof events>;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
  prefix = `hostile-${randomBytes(6).toString("hex")}`;
  store = getRedisEventStore({
    redis,
    events,
    prefix,
    serverCheck: "off",
    logger: silentLogger,
  });
});

afterAll(async () => {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  await redis.quit();
});

/**
 * Every key under the prefix with its stream length and last id, a string's bytes (aggregate
 * indexes: one record per version, so a write shows), or its type.
 */
async function dumpPrefix(): Promise<string[]> {
  const [, keys] = await redis.scan("0", "MATCH", `${prefix}:*`, "COUNT", 100_000);
  const dump: string[] = [];
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    dump.push(
      type === "stream"
        ? `${key} ${await redis.xlen(key)} ${(await redis.xrevrange(key, "+", "-", "COUNT", 1))[0]?.[0]}`
        : type === "string"
          ? `${key} ${(await redis.getBuffer(key))?.toString("hex")}`
          : `${key} ${type}`,
    );
  }
  return dump;
}

function prototypesUntouched(): void {
  for (const prototype of [Object.prototype, Array.prototype, Function.prototype]) {
    expect(Object.hasOwn(prototype, "polluted")).toBe(false);
  }
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  expect(([] as unknown as { polluted?: unknown }).polluted).toBeUndefined();
}

interface Outcome {
  accepted: boolean;
  code?: string;
}

let streamNumber = 0;

/** Appends `data`/`metadata`; checks "refused before any write" or "reads back deep-equal". */
async function appendAndReadBack(
  type: SchemaName,
  data: unknown,
  metadata: Record<string, unknown> | undefined,
): Promise<Outcome> {
  const stream = `hostile-${++streamNumber}`;
  const before = await dumpPrefix();
  let expectedData: unknown;
  try {
    expectedData = schemas[type].parse(data);
  } catch {
    expectedData = undefined;
  }
  try {
    await store.append(stream, [{ type, data } as never], {
      expectedVersion: "no_stream",
      ...(metadata ? { metadata: metadata as never } : {}),
    });
  } catch (error) {
    // Then it is a typed error, and nothing was written
    if (!isStreamstoreError(error) || !REFUSED_CODES.has(error.code)) {
      throw new Error(`${type}: an untyped or unexpected error: ${String(error)}`);
    }
    expect(await dumpPrefix()).toEqual(before);
    prototypesUntouched();
    return { accepted: false, code: error.code };
  }
  // Then it reads back with the same meaning, and nothing got a new prototype
  const read = [];
  for await (const event of store.read(stream)) read.push(event);
  expect(read).toHaveLength(1);
  const [event] = read;
  if (!isDeepStrictEqual(event?.data, expectedData)) {
    throw new Error(`${type}: the data read back differs from what the schema made of it`);
  }
  if (metadata) {
    const { correlationId: _c, causationId: _k, ...stored } = event?.metadata ?? {};
    if (!isDeepStrictEqual(stored, metadata)) {
      throw new Error(`${type}: the metadata read back differs from what was given`);
    }
  }
  prototypesUntouched();
  return { accepted: true };
}

describe("getRedisEventStore", () => {
  const outcomes = new Map<string, Outcome>();

  afterAll(() => {
    const accepted = [...outcomes.values()].filter((outcome) => outcome.accepted).length;
    console.info(
      `[hostile payloads] ${outcomes.size} cases: ${accepted} stored and read back deep-equal, ${outcomes.size - accepted} refused with a typed error before any write`,
    );
  });

  it.each(Object.keys(hostileValues))(
    "refuses %s in a payload with a typed error or reads it back unchanged, under every pass-through schema",
    async (name) => {
      for (const type of Object.keys(schemas) as SchemaName[]) {
        // Given a hostile value in the payload
        const data = { value: (hostileValues[name] as () => unknown)() };
        // When it is appended, Then it is refused before any write or read back deep-equal
        outcomes.set(`${name} / data / ${type}`, await appendAndReadBack(type, data, undefined));
      }
      // And as the whole payload of the schemas that take any value
      for (const type of ["Any", "Unknown", "Record", "Loose"] as const) {
        const data = (hostileValues[name] as () => unknown)();
        outcomes.set(
          `${name} / whole payload / ${type}`,
          await appendAndReadBack(type, data, undefined),
        );
      }
    },
  );

  it.each(Object.keys(hostileValues))(
    "refuses %s in metadata with a typed error or reads it back unchanged",
    async (name) => {
      // Given a hostile value in the metadata of a harmless event
      const metadata = { value: (hostileValues[name] as () => unknown)() };
      // When it is appended, Then it is refused before any write or read back deep-equal
      outcomes.set(`${name} / metadata`, await appendAndReadBack("Any", { ok: 1 }, metadata));
    },
  );

  it("refuses what JSON would change and keeps what it can carry, as documented", () => {
    // Given the outcomes above, Then these hold in particular
    const expectRefused = [
      "objects nested 10,000 levels / data / Any",
      "arrays nested 10,000 levels / metadata",
      "__proto__ objects nested 10,000 levels / whole payload / Unknown",
      "a BigInt / data / Any",
      "NaN / metadata",
      "Infinity / data / Record",
      "undefined in an array / data / Unknown",
      "a sparse array / metadata",
      "a function / data / Any",
      "a symbol / data / Loose",
      "a Map / data / Any",
      "a Set / metadata",
      "a class instance / data / Record",
      "a Date / data / Any",
      "a Date / data / StrictDate",
      "a Date / metadata",
      "a getter that throws / data / Any",
      "a Proxy that throws / metadata",
      "a cycle / data / Any",
      "a 2 MiB string / data / Any",
    ];
    const expectAccepted = [
      "__proto__/constructor/prototype keys from JSON.parse / whole payload / Any",
      "__proto__/constructor/prototype keys from JSON.parse / metadata",
      "__proto__/constructor/prototype own keys from Object.defineProperty / data / Unknown",
      "__proto__/constructor/prototype own keys from Object.defineProperty / whole payload / Record",
      "objects nested 200 levels / data / Any",
      "an object of 50,000 keys / whole payload / Loose",
      "an array of 100,000 numbers / metadata",
      "a Date / data / CoercedDate",
    ];
    for (const name of expectRefused)
      expect([name, outcomes.get(name)?.accepted]).toEqual([name, false]);
    for (const name of expectAccepted)
      expect([name, outcomes.get(name)?.accepted]).toEqual([name, true]);
  });
});
