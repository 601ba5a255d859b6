import { randomBytes } from "node:crypto";
import { deleteKeys, dumpKeys, indexPositions, indexRecord } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  type CorruptEventError,
  decodeEntry,
  defineEvents,
  type EventStore,
  getRedisEventStore,
  isCorruptEventError,
  type RawStreamEntry,
  silentLogger,
  versionedEvent,
} from "../src/index.js";

// Issue 8, "untrusted data on read": entries written by hand or by older code, one broken field
// at a time, read through an aggregate's index (store.read: a log entry the index points at) and
// on the category log (decodeEntry with kind "log", what projections use); and indexes changed by
// hand. Each must be a CorruptEventError naming the stream, the version where known, the entry
// id (or the index key) and the reason; never a crash, never a wrong event.

const events = defineEvents({
  Deposited: z.object({ amount: z.number().nonnegative() }),
  Renamed: versionedEvent(z.object({ first: z.string(), last: z.string() }), {
    version: 2,
    upcasters: {
      1: (old) => {
        const name = (old as { name?: unknown }).name;
        if (typeof name !== "string") throw new Error("no name to split");
        const [first, last] = name.split(" ");
        return { first, last };
      },
    },
  }),
  Anything: z.any(),
});

const DEEP = 10_000;
const deepJson = `${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}`;

/**
 * A valid log entry's fields for version `version` of `stream`, with `change` applied (undefined
 * deletes a field).
 */
function logFields(
  stream: string,
  version: number,
  change: Record<string, string | undefined> = {},
): string[] {
  const fields: Record<string, string | undefined> = {
    i: `evt-${randomBytes(4).toString("hex")}`,
    t: "Deposited",
    d: '{"amount":5}',
    a: stream.slice(stream.indexOf("-") + 1),
    v: String(version),
    ...change,
  };
  return Object.entries(fields).flatMap(([name, value]) =>
    value === undefined ? [] : [name, value],
  );
}

/** Each broken log entry read through an aggregate's index, and what the error must say. */
const streamCases: [name: string, change: Record<string, string | undefined>, reason: RegExp][] = [
  ["no event id", { i: undefined }, /no event id/],
  ["no type", { t: undefined }, /no type/],
  ["no data", { d: undefined }, /no data/],
  ["no aggregate id", { a: undefined }, /no aggregate id/],
  ["no version", { v: undefined }, /no version/],
  ["a version that is not a number", { v: "two" }, /version "two" is not a positive integer/],
  ["version 0", { v: "0" }, /version "0" is not a positive integer/],
  [
    "the aggregate id of another stream",
    { a: "someone-else" },
    /the index points at the log entry of "acct-someone-else" version 2/,
  ],
  [
    "another version of the stream",
    { v: "7" },
    /the index points at the log entry of "acct-.*" version 7/,
  ],
  ["data that is not JSON", { d: "{not json" }, /data is not valid JSON/],
  ["empty data", { d: "" }, /data is not valid JSON/],
  ["data failing the schema", { d: '{"amount":-5}' }, /does not match the schema/],
  ["data of another shape", { d: '"five"' }, /does not match the schema/],
  ["an unknown type", { t: "Teleported" }, /not in the event catalog/],
  ["a type like a prototype key", { t: "__proto__" }, /not in the event catalog/],
  ["metadata that is not JSON", { m: "{oops" }, /metadata is not valid JSON/],
  ["metadata that is an array", { m: "[1,2]" }, /metadata is not an object/],
  ["metadata that is null", { m: "null" }, /metadata is not an object/],
  ["a schema version that is not a number", { s: "two" }, /is not a positive integer/],
  ["schema version 0", { s: "0" }, /is not a positive integer/],
  ["a schema version from newer code", { s: "9" }, /newer than this code's/],
  [
    "an old schema version the upcaster cannot read",
    { t: "Renamed", s: "1", d: '{"nom":"x"}' },
    /upcaster from schema version 1 threw/,
  ],
  [
    "an old schema version upcast into a mismatch",
    { t: "Renamed", s: "1", d: '{"name":"Ada"}' },
    /does not match the schema of "Renamed"/,
  ],
];

let redis: Redis;
let prefix: string;
let store: EventStore<typeof events>;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
  prefix = `corrupt-${randomBytes(6).toString("hex")}`;
  store = getRedisEventStore({ redis, events, prefix, serverCheck: "off", logger: silentLogger });
});

afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
});

async function readAll(stream: string): Promise<unknown[]> {
  const read: unknown[] = [];
  for await (const event of store.read(stream)) read.push(event);
  return read;
}

async function corruptErrorOf(promise: Promise<unknown>): Promise<CorruptEventError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCorruptEventError(error))
    throw new Error(`expected a CorruptEventError, got ${String(error)}`);
  return error;
}

/** A stream with one good event; returns its name and where it is stored. */
async function newStream(type: "Deposited" | "Anything" = "Deposited") {
  const stream = `acct-${randomBytes(4).toString("hex")}`;
  const data = type === "Deposited" ? { amount: 1 } : { ok: 1 };
  const { positions } = await store.append(stream, [{ type, data } as never]);
  return { stream, position: positions[0] as string, ...(await store.locate(stream)) };
}

/** Writes `fields` to the category log by hand and appends its record to the stream's index. */
async function plant(location: { indexKey: string; logKey: string }, fields: string[]) {
  const position = (await redis.xadd(location.logKey, "*", ...fields)) as string;
  await redis.append(location.indexKey, indexRecord(position));
  return position;
}

/** Every key under the prefix with its full contents, byte for byte. */
const dumpPrefix = () => dumpKeys(redis, `${prefix}:*`, { ttl: true });

describe("getRedisEventStore", () => {
  it("writes index records exactly as the test helper encodes them, for positions of any width", async () => {
    // Given a log whose last entry has a sequence of 11 digits, a minute ahead of the clock, so
    // that the store's next positions have that ms and sequences above it
    const stream = `wide-${randomBytes(4).toString("hex")}`;
    const { logKey } = await store.locate(stream);
    const ahead = `${Date.now() + 60_000}-12345678901`;
    expect(await redis.xadd(logKey, ahead, "i", "filler")).toBe(ahead);
    // When the store appends
    const { positions } = await store.append(stream, [
      { type: "Deposited", data: { amount: 1 } },
      { type: "Deposited", data: { amount: 2 } },
    ]);
    const [ms] = ahead.split("-");
    expect(positions).toEqual([`${ms}-12345678902`, `${ms}-12345678903`]);
    // Then its index holds the helper's records, and reads give the positions back
    const { indexKey } = await store.locate(stream);
    const index = await redis.getBuffer(indexKey);
    expect(index).toEqual(Buffer.concat(positions.map(indexRecord)));
    expect(indexPositions(index)).toEqual(positions);
    expect(
      (await readAll(stream)).map((event) => (event as { position: string }).position),
    ).toEqual(positions);
    // And a record planted by the helper is read back as the store's own
    const planted = await plant({ indexKey, logKey }, logFields(stream, 3, { d: '{"amount":3}' }));
    expect(planted).toBe(`${ms}-12345678904`);
    const read = (await readAll(stream)) as { version: number; position: string; data: unknown }[];
    expect(read.map((event) => [event.version, event.position, event.data])).toEqual([
      [1, positions[0], { amount: 1 }],
      [2, positions[1], { amount: 2 }],
      [3, planted, { amount: 3 }],
    ]);
  });

  it.each(streamCases)(
    "refuses a log entry with %s read through an aggregate's index by a CorruptEventError naming stream, version and entry",
    async (_name, change, reason) => {
      // Given a stream with one good event and then a hand-written log entry at version 2
      const location = await newStream();
      const { stream } = location;
      const position = await plant(location, logFields(stream, 2, change));
      expect(await store.version(stream)).toBe(2);
      // When the stream is read
      const error = await corruptErrorOf(readAll(stream));
      // Then the error names the stream, the version, the entry, and the broken field
      expect(error).toMatchObject({ streamName: stream, version: 2, entryId: position });
      expect(error.message).toMatch(reason);
      expect(error.message).toMatch(/^\[streamstore\]/);
    },
  );

  it("refuses index records that point at no log entry, both ways, and reads the versions around them", async () => {
    // Given streams whose version 2 is a record of a deleted log entry, of a position the log
    // never had, or 12 bytes of garbage, followed by a good version 3
    type Location = Awaited<ReturnType<typeof newStream>>;
    const cases: [string, (location: Location) => Promise<string>][] = [
      [
        "a deleted log entry",
        async (location) => {
          const position = await plant(location, logFields(location.stream, 2));
          await redis.xdel(location.logKey, position);
          return position;
        },
      ],
      [
        "a position the log never had",
        async (location) => {
          await redis.append(location.indexKey, indexRecord("1-999"));
          return "1-999";
        },
      ],
      [
        "12 bytes of garbage",
        async (location) => {
          await redis.append(location.indexKey, Buffer.alloc(12, 0xff));
          return "281474976710655-281474976710655";
        },
      ],
    ];
    for (const [name, plantBroken] of cases) {
      const location = await newStream();
      const { stream } = location;
      const entryId = await plantBroken(location);
      const third = await plant(location, logFields(stream, 3));
      expect([name, await store.version(stream)]).toEqual([name, 3]);
      // When it is read forward and backward
      for (const direction of ["forward", "backward"] as const) {
        const error = await corruptErrorOf(
          (async () => {
            for await (const _event of store.read(stream, { direction }));
          })(),
        );
        // Then a typed error names the version and the position the index gave it
        expect([name, direction, error.message]).toEqual([
          name,
          direction,
          expect.stringMatching(/the category log no longer holds it \(trimmed or deleted there\)/),
        ]);
        expect(error).toMatchObject({ streamName: stream, version: 2, entryId });
      }
      // And the versions around it read
      const around: { version: number; position: string }[] = [];
      for await (const event of store.read(stream, { to: 1 })) around.push(event);
      for await (const event of store.read(stream, { from: 3 })) around.push(event);
      expect([name, around.map((event) => [event.version, event.position])]).toEqual([
        name,
        [
          [1, location.position],
          [3, third],
        ],
      ]);
    }
  });

  it("refuses an index that is not whole records on append, read and retry, writing nothing", async () => {
    // Given streams whose index lost a byte, or got one or eleven more
    const cases: [string, (indexKey: string) => Promise<unknown>, number][] = [
      ["one stray byte", (key) => redis.append(key, Buffer.from([1])), 13],
      ["eleven stray bytes", (key) => redis.append(key, Buffer.alloc(11)), 23],
      [
        "a record cut short",
        async (key) => redis.set(key, await redis.getrangeBuffer(key, 0, 10)),
        11,
      ],
    ];
    for (const [name, damage, length] of cases) {
      const { stream, indexKey } = await newStream();
      await damage(indexKey);
      expect([name, await redis.strlen(indexKey)]).toEqual([name, length]);
      const before = await dumpPrefix();
      const reason = new RegExp(`its index holds ${length} bytes, not whole 12-byte records`);
      // When it is appended to, with every kind of expected version and a retried id, and read
      for (const expectedVersion of ["any", "no_stream", "stream_exists", 0, 1, 2] as const) {
        for (const id of [undefined, "retry-1"]) {
          const error = await corruptErrorOf(
            store.append(
              stream,
              [{ type: "Deposited", data: { amount: 2 }, ...(id ? { id } : {}) }],
              {
                expectedVersion,
              },
            ),
          );
          // Then each is a typed error naming the index
          expect([name, error.message]).toEqual([name, expect.stringMatching(reason)]);
          expect(error).toMatchObject({
            streamName: stream,
            version: undefined,
            entryId: indexKey,
          });
        }
      }
      for (const direction of ["forward", "backward"] as const) {
        const error = await corruptErrorOf(
          (async () => {
            for await (const _event of store.read(stream, { direction }));
          })(),
        );
        expect([name, error.message]).toEqual([name, expect.stringMatching(reason)]);
        expect(error).toMatchObject({ streamName: stream, entryId: indexKey });
      }
      // And nothing under the prefix changed
      expect(await dumpPrefix()).toEqual(before);
    }
  });

  it("refuses an append whose log position no index record can hold, keeping none of its entries", async () => {
    // Given a category log whose ids were set by hand past what a record holds (ms >= 2^48)
    // (a first append to another aggregate of the category registers it and the prefix's layout)
    const stream = `farfuture-${randomBytes(4).toString("hex")}`;
    await store.append(`${stream}-other`, [{ type: "Deposited", data: { amount: 0 } }]);
    const { logKey, indexKey } = await store.locate(stream);
    expect(await redis.xadd(logKey, "281474976710656-0", "i", "planted")).toBe("281474976710656-0");
    const before = await dumpPrefix();
    // When a batch of two events is appended there
    const error = await store
      .append(stream, [
        { type: "Deposited", data: { amount: 1 } },
        { type: "Deposited", data: { amount: 2 } },
      ])
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    // Then a typed error names the position, and nothing under the prefix changed: the log keeps
    // only the planted entry, no index was created
    expect(error).toMatchObject({ code: "SCRIPT_FAILED" });
    expect((error as Error).message).toMatch(
      /gave position 281474976710656-1, beyond what an aggregate index records/,
    );
    expect(await dumpPrefix()).toEqual(before);
    expect(await redis.exists(indexKey)).toBe(0);
    expect(await store.version(stream)).toBe(0);
  });

  it("reads a 10,000-level nested payload written by hand without overflowing the stack", async () => {
    // Given a hand-written entry whose data nests 10,000 levels, under a schema that passes it
    const location = await newStream("Anything");
    await plant(location, logFields(location.stream, 2, { t: "Anything", d: deepJson }));
    // When it is read
    const outcome = await readAll(location.stream).then(
      (read) => ({ read: read.length }),
      (error: unknown) => ({ error }),
    );
    // Then it is either read or refused with a typed error, never a RangeError
    if ("error" in outcome) expect(isCorruptEventError(outcome.error)).toBe(true);
    else expect(outcome.read).toBe(2);
  });
});

describe("decodeEntry", () => {
  const logCases: [name: string, fields: Record<string, string | undefined>, reason: RegExp][] = [
    ["no aggregate id", { a: undefined }, /no aggregate id/],
    ["no version", { v: undefined }, /no version/],
    ["version 0", { v: "0" }, /is not a positive integer/],
    ["a fractional version", { v: "1.5" }, /is not a positive integer/],
    ["a version that is not a number", { v: "one" }, /is not a positive integer/],
    ["a version beyond 2^53", { v: "9007199254740993" }, /is not a positive integer/],
    ["no event id", { i: undefined }, /no event id/],
    ["no type", { t: undefined }, /no type/],
    ["no data", { d: undefined }, /no data/],
    ["data that is not JSON", { d: "{not json" }, /data is not valid JSON/],
    ["data failing the schema", { d: '{"amount":"5"}' }, /does not match the schema/],
    ["an unknown type", { t: "Teleported" }, /not in the event catalog/],
    ["metadata that is not an object", { m: '"tenant"' }, /metadata is not an object/],
    ["a schema version from newer code", { s: "3" }, /newer than this code's/],
  ];

  it.each(logCases)(
    "refuses a category-log entry with %s by a CorruptEventError naming the entry",
    async (_name, change, reason) => {
      // Given a hand-written entry on a category log
      const logKey = store.keys.log("acct", 0);
      const fields: Record<string, string | undefined> = {
        i: "evt-1",
        t: "Deposited",
        d: '{"amount":5}',
        a: "42",
        v: "1",
        ...change,
      };
      const entryId = await redis.xadd(
        logKey,
        "*",
        ...Object.entries(fields).flatMap(([name, value]) =>
          value === undefined ? [] : [name, value],
        ),
      );
      const [entry] = (await redis.xrange(
        logKey,
        entryId as string,
        entryId as string,
      )) as RawStreamEntry[];
      // When it is decoded as projections decode the log
      let caught: unknown;
      try {
        decodeEntry(events, entry as RawStreamEntry, {
          streamName: "acct",
          category: "acct",
          partition: 0,
          kind: "log",
        });
      } catch (error) {
        caught = error;
      }
      // Then it is a typed error naming the entry and the reason
      expect(isCorruptEventError(caught)).toBe(true);
      expect(caught).toMatchObject({ entryId });
      expect((caught as Error).message).toMatch(reason);
      if (change.a !== undefined || !("a" in change)) {
        expect((caught as CorruptEventError).streamName).toBe("acct-42");
      }
    },
  );
});
