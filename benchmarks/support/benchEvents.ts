import { defineEvents } from "@streamstore/core";
import { z } from "zod";

/**
 * The event catalog of the append benchmarks: one type, so that every side stores the same thing.
 *
 * @example
 * const store = getRedisEventStore({ redis, events: benchEvents, prefix: "bench" });
 */
export const benchEvents = defineEvents({
  Deposited: z.object({ amount: z.number(), currency: z.string(), note: z.string() }),
});

/**
 * The data of every benchmark event: about 200 bytes of JSON, a typical small domain event.
 *
 * @example
 * await store.append("account-1", [{ type: "Deposited", data: benchPayload }]);
 */
export const benchPayload = { amount: 42.5, currency: "EUR", note: "x".repeat(150) };
