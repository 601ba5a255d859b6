import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineEvents } from "../src/events/defineEvents.js";
import { decodeEntry } from "../src/store/entryCodec.js";

// decodeEntry builds events with a constructor (a literal is an allocation site V8 may pretenure,
// see entryCodec.ts): they must stay plain objects, the same as the literal they replace, for
// users who compare, spread or serialize them.

const catalog = defineEvents({ Deposited: z.object({ amount: z.number() }) });
const entry: [string, string[]] = [
  "1700000000000-4",
  ["a", "42", "v", "3", "i", "e-1", "t", "Deposited", "d", '{"amount":5}', "m", '{"by":"x"}'],
];
const source = { streamName: "ignored", category: "account", partition: 2, kind: "log" } as const;

describe("decodeEntry's events", () => {
  it("are plain objects with the fields in their documented order", () => {
    // When an entry is decoded
    const event = decodeEntry(catalog, entry, source);

    // Then it equals the literal it replaces, prototype and key order included
    const literal = {
      type: "Deposited",
      data: { amount: 5 },
      id: "e-1",
      streamName: "account-42",
      category: "account",
      version: 3,
      position: "1700000000000-4",
      partition: 2,
      timestamp: new Date(1_700_000_000_000),
      metadata: { by: "x" },
    };
    expect(event).toStrictEqual(literal);
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(event.constructor).toBe(Object);
    expect(Object.keys(event)).toEqual(Object.keys(literal));
    expect(JSON.stringify(event)).toBe(JSON.stringify(literal));
    expect({ ...event }).toStrictEqual(literal);
    expect(structuredClone(event)).toStrictEqual(literal);
  });
});
