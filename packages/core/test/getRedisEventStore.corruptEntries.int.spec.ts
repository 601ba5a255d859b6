import { randomBytes } from "node:crypto";
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
// at a time, on the aggregate stream (store.read) and on the category log (decodeEntry with
// kind "log", what projections use). Each must be a CorruptEventError naming the stream, the
// version where known, the entry id and the reason; never a crash, never a wrong event.

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

/** A valid aggregate-stream entry's fields, with `change` applied (undefined deletes a field). */
function streamFields(change: Record<string, string | undefined>, position: string): string[] {
  const fields: Record<string, string | undefined> = {
    i: `evt-${randomBytes(4).toString("hex")}`,
    t: "Deposited",
    d: '{"amount":5}',
    p: position,
    ...change,
  };
  return Object.entries(fields).flatMap(([name, value]) =>
    value === undefined ? [] : [name, value],
  );
}

/** Each broken entry of an aggregate stream, and what the error must say. */
const streamCases: [name: string, change: Record<string, string | undefined>, reason: RegExp][] = [
  ["no event id", { i: undefined }, /no event id/],
  ["no type", { t: undefined }, /no type/],
  ["no data", { d: undefined }, /no data/],
  ["no log position", { p: undefined }, /no log position/],
  ["a log position that is not a stream id", { p: "yesterday" }, /is not a stream id/],
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
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
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

describe("getRedisEventStore", () => {
  it.each(streamCases)(
    "refuses an aggregate entry with %s by a CorruptEventError naming stream, version and entry",
    async (_name, change, reason) => {
      // Given a stream with one good event and then a hand-written entry at version 2
      const stream = `acct-${randomBytes(4).toString("hex")}`;
      const { positions } = await store.append(stream, [
        { type: "Deposited", data: { amount: 1 } },
      ]);
      const { streamKey } = await store.locate(stream);
      await redis.xadd(streamKey, "2-0", ...streamFields(change, positions[0] as string));
      // When the stream is read
      const error = await corruptErrorOf(readAll(stream));
      // Then the error names the stream, the version, the entry, and the broken field
      expect(error).toMatchObject({ streamName: stream, version: 2, entryId: "2-0" });
      expect(error.message).toMatch(reason);
      expect(error.message).toMatch(/^\[streamstore\]/);
    },
  );

  it("refuses entries whose ids are not versions, and version gaps both ways", async () => {
    // Given streams with an entry at "2-1", one at "0-5", and one with version 2 deleted
    const cases: [string, (key: string, position: string) => Promise<void>, RegExp, object][] = [
      [
        "an entry id with a sequence",
        async (key, position) => {
          await redis.xadd(key, "2-1", ...streamFields({}, position));
        },
        /is not "<version>-0"/,
        { entryId: "2-1" },
      ],
      [
        "a deleted version",
        async (key, position) => {
          await redis.xadd(key, "2-0", ...streamFields({}, position));
          await redis.xadd(key, "3-0", ...streamFields({}, position));
          await redis.xdel(key, "2-0");
        },
        /version gap: expected version 2 next, found 3/,
        { version: 3, entryId: "3-0" },
      ],
      [
        "a version skipped by hand",
        async (key, position) => {
          await redis.xadd(key, "5-0", ...streamFields({}, position));
        },
        /version gap: expected version 2 next, found 5/,
        { version: 5 },
      ],
    ];
    for (const [name, plant, reason, fields] of cases) {
      const stream = `acct-${randomBytes(4).toString("hex")}`;
      const { positions } = await store.append(stream, [
        { type: "Deposited", data: { amount: 1 } },
      ]);
      await plant((await store.locate(stream)).streamKey, positions[0] as string);
      // When it is read forward (and, for gaps, backward)
      const error = await corruptErrorOf(readAll(stream));
      // Then a typed error names it
      expect([name, error.message]).toEqual([name, expect.stringMatching(reason)]);
      expect(error).toMatchObject({ streamName: stream, ...fields });
    }
  });

  it("reads a 10,000-level nested payload written by hand without overflowing the stack", async () => {
    // Given a hand-written entry whose data nests 10,000 levels, under a schema that passes it
    const stream = `acct-${randomBytes(4).toString("hex")}`;
    const { positions } = await store.append(stream, [{ type: "Anything", data: { ok: 1 } }]);
    const { streamKey } = await store.locate(stream);
    await redis.xadd(
      streamKey,
      "2-0",
      ...streamFields({ t: "Anything", d: deepJson }, positions[0] as string),
    );
    // When it is read
    const outcome = await readAll(stream).then(
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
