import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  coreFunctionLibrary,
  createRedisKeyStore,
  defineEvents,
  getRedisEventStore,
  installFunctionLibraries,
  isInvalidArgumentError,
} from "../src/index.js";

// Every entry point of core that takes a Redis client refuses anything else with one typed error
// (assertRedisClient), at once: before, installFunctionLibraries failed with "node.call is not a
// function", and createRedisKeyStore accepted it and failed at the first key.

const events = defineEvents({ Noted: z.object({ n: z.number() }) });

describe("core's entry points given a redis that is not a client", () => {
  it.each([
    ["getRedisEventStore", () => getRedisEventStore({ redis: {} as never, events })],
    [
      "installFunctionLibraries",
      () => installFunctionLibraries({} as never, [coreFunctionLibrary]),
    ],
    ["createRedisKeyStore", () => createRedisKeyStore({ redis: {} as never })],
    [
      "getRedisEventStore (undefined)",
      () => getRedisEventStore({ redis: undefined as never, events }),
    ],
  ])("%s refuses it with a typed error", async (_, call) => {
    // When the entry point is called with a value that is not an ioredis client
    let caught: unknown;
    try {
      await call();
    } catch (error) {
      caught = error;
    }
    // Then it is an InvalidArgumentError that says what to pass
    expect(isInvalidArgumentError(caught), String(caught)).toBe(true);
    expect(String((caught as Error).message)).toContain(
      "[streamstore] invalid redis: pass an ioredis client",
    );
  });
});
