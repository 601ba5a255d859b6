import { randomBytes } from "node:crypto";
import { dataSubject, defineEvents, FORGOTTEN, personal } from "@streamstore/core";
import {
  dataKeyOf,
  ENVELOPE_PREFIX,
  openPersonalFields,
  openValue,
  parseEnvelope,
  sealPersonalFields,
  sealValue,
} from "@streamstore/core/internal";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const key = dataKeyOf(randomBytes(32));
const binding = { eventId: "e-1", eventType: "CustomerRegistered", field: "email", subject: "c-1" };

describe("sealValue / openValue", () => {
  it("round-trips any JSON value through a versioned envelope that holds no plaintext", () => {
    // Given values of several JSON types
    for (const value of ["ada@example.com", 42, { street: "1 Main St" }, ["a", "b"], null]) {
      // When sealing then opening
      const stored = sealValue(key, binding, value);
      // Then the envelope is recognisable and opens to the value
      expect(stored.startsWith(`${ENVELOPE_PREFIX}c-1:`)).toBe(true);
      expect(stored).not.toContain("ada");
      expect(openValue(key, binding, stored)).toEqual(value);
    }
  });

  it("gives the same bytes for the same value of the same event and field (idempotent retries), other IVs otherwise", () => {
    // Given one value sealed twice, and sealed for another event and another field
    const first = sealValue(key, binding, "ada@example.com");
    const again = sealValue(key, binding, "ada@example.com");
    const otherEvent = sealValue(key, { ...binding, eventId: "e-2" }, "ada@example.com");
    const otherValue = sealValue(key, binding, "bob@example.com");
    // Then only the identical seal repeats, and the IVs differ otherwise
    expect(again).toBe(first);
    const ivOf = (stored: string) => parseEnvelope(stored)?.iv.toString("hex");
    expect(new Set([ivOf(first), ivOf(otherEvent), ivOf(otherValue)]).size).toBe(3);
  });

  it("refuses a ciphertext moved to another event, type, field or subject, or altered, or opened with another key", () => {
    // Given a sealed value
    const stored = sealValue(key, binding, "ada@example.com");
    // When opening it under any other binding, altered, or with another key
    const moved = [
      { ...binding, eventId: "e-2" },
      { ...binding, eventType: "OrderPlaced" },
      { ...binding, field: "name" },
    ];
    // Then each fails
    for (const other of moved) expect(() => openValue(key, other, stored)).toThrow();
    expect(() => openValue(key, { ...binding, subject: "c-2" }, stored)).toThrow(
      /another data subject/,
    );
    const parts = stored.split(":");
    const sealed = Buffer.from(parts.at(-1) as string, "base64url");
    sealed[0] = (sealed[0] as number) ^ 1;
    const altered = [...parts.slice(0, -1), sealed.toString("base64url")].join(":");
    expect(() => openValue(key, binding, altered)).toThrow();
    expect(() => openValue(dataKeyOf(randomBytes(32)), binding, stored)).toThrow();
  });

  it("recognises only well-formed envelopes", () => {
    expect(parseEnvelope("ada@example.com")).toBeUndefined();
    expect(parseEnvelope(`${ENVELOPE_PREFIX}c-1:xx`)).toBeUndefined();
    expect(
      parseEnvelope(`${ENVELOPE_PREFIX}:f:AAAAAAAAAAAAAAAA:${"A".repeat(24)}`),
    ).toBeUndefined();
    expect(
      parseEnvelope(`${ENVELOPE_PREFIX}c-1:%E0%A4%A:AAAAAAAAAAAAAAAA:${"A".repeat(24)}`),
    ).toBeUndefined();
    expect(
      parseEnvelope(`${ENVELOPE_PREFIX}c-1:a%2Cb:AAAAAAAAAAAAAAAA:${"A".repeat(24)}`),
    ).toMatchObject({
      subject: "c-1",
      field: "a,b",
    });
  });
});

describe("openPersonalFields", () => {
  // A reader without the key (forgotten) of an envelope written by hand that names "__proto__"
  // among its fields, in stored data with or without an own "__proto__" key (JSON.parse makes one).
  const envelope = sealValue(
    key,
    { ...binding, field: "__proto__,email" },
    { email: "a@example.com" },
    "random",
  );
  const open = (json: string) =>
    openPersonalFields(JSON.parse(json), binding.eventId, binding.eventType, undefined)
      .data as Record<string, unknown>;

  it('makes a field named "__proto__" an own property, never the prototype', () => {
    // When data without a "__proto__" key is opened
    const opened = open(`{"plan":"p","$personal":"${envelope}"}`);
    // Then "__proto__" is an own, forgotten field, and the prototype is Object.prototype
    expect(Object.getPrototypeOf(opened)).toBe(Object.prototype);
    expect(Object.keys(opened)).toEqual(["plan", "__proto__", "email"]);
    expect(Object.getOwnPropertyDescriptor(opened, "__proto__")?.value).toEqual(FORGOTTEN);
    expect(opened.forgotten).toBeUndefined();
  });

  it('keeps a stored "__proto__" key an own property', () => {
    // When data with its own "__proto__" key is opened
    const opened = open(`{"__proto__":{"polluted":true},"plan":"p","$personal":"${envelope}"}`);
    // Then the prototype is untouched, and nothing leaked
    expect(Object.getPrototypeOf(opened)).toBe(Object.prototype);
    expect(Object.keys(opened)).toEqual(["__proto__", "plan", "email"]);
    expect(opened.polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("sealPersonalFields", () => {
  it('keeps a "__proto__" key of the data (a loose schema passes it) as a field, not a prototype', () => {
    // Given a catalog whose loose schema lets any key through, and data with a "__proto__" key
    const catalog = defineEvents({
      CustomerRegistered: z.looseObject({
        customerId: dataSubject(z.string()),
        email: personal(z.string()),
      }),
    });
    const definition = catalog.get("CustomerRegistered");
    const data = JSON.parse('{"customerId":"c-1","email":"a@example.com","__proto__":{"x":1}}');
    // When its personal fields are sealed
    const sealed = sealPersonalFields(
      definition as NonNullable<typeof definition>,
      data,
      "e-1",
      "c-1",
      key,
    ) as Record<string, unknown>;
    // Then "__proto__" is stored as a field, and the prototype is untouched
    expect(Object.getPrototypeOf(sealed)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(sealed))).toMatchObject({ customerId: "c-1" });
    expect(Object.keys(sealed)).toEqual(["customerId", "__proto__", "$personal"]);
  });
});
