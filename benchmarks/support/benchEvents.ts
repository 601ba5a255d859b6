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

// {"amount":42.5,"currency":"EUR","note":""}: what a payload weighs before its note.
const PAYLOAD_BASE_BYTES = Buffer.byteLength(
  JSON.stringify({ amount: 42.5, currency: "EUR", note: "" }),
);

/**
 * A {@link benchEvents} payload whose JSON is exactly `bytes` bytes long (at least 42): the
 * shape of {@link benchPayload} with a longer or shorter note.
 *
 * @example
 * Buffer.byteLength(JSON.stringify(payloadOfBytes(1024))); // 1024
 */
export function payloadOfBytes(bytes: number): typeof benchPayload {
  if (!Number.isSafeInteger(bytes) || bytes < PAYLOAD_BASE_BYTES)
    throw new Error(`a payload has at least ${PAYLOAD_BASE_BYTES} bytes, not ${bytes}`);
  return { amount: 42.5, currency: "EUR", note: "x".repeat(bytes - PAYLOAD_BASE_BYTES) };
}
