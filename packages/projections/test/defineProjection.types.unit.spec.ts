import { defineEvents, isInvalidArgumentError } from "@streamstore/core";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineProjection, type StateOf } from "../src/index.js";

const events = defineEvents({
  Deposited: z.object({ amount: z.number() }),
  Renamed: z.object({ name: z.string() }),
});

describe("defineProjection", () => {
  it("types each handler's event from the catalog and the draft from initialState", () => {
    // Given / When a projection over the catalog
    const projection = defineProjection(events, {
      name: "accounts",
      version: 1,
      source: ["account"],
      key: (event) => event.streamName,
      initialState: () => ({ balance: 0, name: "" }),
      handlers: {
        Deposited: (draft, event) => {
          expectTypeOf(event.data).toEqualTypeOf<{ amount: number }>();
          draft.balance += event.data.amount;
        },
        Renamed: (draft, event) => {
          draft.name = event.data.name;
          // @ts-expect-error Renamed has no amount
          draft.balance += event.data.amount;
        },
      },
    });

    // Then the state type is inferred
    expectTypeOf<StateOf<typeof projection>>().toEqualTypeOf<{ balance: number; name: string }>();
  });

  it("rejects a handler for a type the catalog does not know, at compile time and at run time", () => {
    // Given / When a handler for an unknown type
    const define = () =>
      defineProjection(events, {
        name: "accounts",
        version: 1,
        source: ["account"],
        key: (event) => event.streamName,
        initialState: () => ({ balance: 0 }),
        handlers: {
          // @ts-expect-error Withdrawn is not in the catalog
          Withdrawn: (draft: { balance: number }) => {
            draft.balance--;
          },
        },
      });

    // Then it throws a typed error
    expect(define).toThrow(/Withdrawn/);
    expect(() => define()).toSatisfy(() => {
      try {
        define();
        return false;
      } catch (error) {
        return isInvalidArgumentError(error);
      }
    });
  });

  it("rejects a bad name, version or source", () => {
    // Given / When / Then
    const base = { key: () => "k", initialState: () => ({}), handlers: {} };
    expect(() =>
      defineProjection(events, { ...base, name: "a b", version: 1, source: ["account"] }),
    ).toThrow(/name/);
    expect(() =>
      defineProjection(events, { ...base, name: "a", version: 0, source: ["account"] }),
    ).toThrow(/version/);
    expect(() => defineProjection(events, { ...base, name: "a", version: 1, source: [] })).toThrow(
      /source/,
    );
  });
});
