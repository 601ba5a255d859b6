import { coreFunctionLibrary } from "@streamstore/core";
import { defineFunctionLibrary } from "@streamstore/core/internal";
import { projectionsFunctionLibrary } from "@streamstore/projections";
import { describe, expect, it } from "vitest";
import { parseFunctionLibrary } from "../../src/fake/FunctionRegistry.js";
import { createFakeRedis } from "../../src/index.js";

// Issue 14: the toolkit's Lua runs as Redis Functions; the fake loads libraries in the layout of
// defineFunctionLibrary and runs each function as the script it was built from (its twin, or Lua).

describe("parseFunctionLibrary", () => {
  it("gives back each script of the toolkit's libraries exactly", () => {
    for (const library of [coreFunctionLibrary, projectionsFunctionLibrary]) {
      // Given / When
      const parsed = parseFunctionLibrary(library.code);
      // Then
      expect(parsed).not.toBeInstanceOf(Error);
      const scripts = Object.fromEntries(
        (parsed as Exclude<typeof parsed, Error>).functions.map((fn) => [fn.name, fn.script]),
      );
      expect(scripts).toEqual(
        Object.fromEntries(Object.values(library.functions).map((fn) => [fn.name, fn.lua])),
      );
    }
  });

  it("refuses a library in another layout, naming what the fake loads", () => {
    // Given a hand-written library
    const code = "#!lua name=mine\nredis.register_function('f', function() return 1 end)\n";
    // When / Then
    expect(String(parseFunctionLibrary(code))).toMatch(
      /loads only function libraries built with defineFunctionLibrary/,
    );
    expect(String(parseFunctionLibrary("return 1"))).toMatch(/Missing library metadata/);
  });
});

describe("createFakeRedis FCALL", () => {
  it("runs a library's functions in Lua, and keeps them apart from SCRIPT FLUSH", async () => {
    // Given a library without twins
    const library = defineFunctionLibrary("mine", {
      bump: '#!lua\nreturn redis.call("INCRBY", KEYS[1], ARGV[1])\n',
      peek: '#!lua flags=no-writes\nreturn redis.call("GET", KEYS[1])\n',
    });
    const redis = createFakeRedis();
    await redis.call("FUNCTION", "LOAD", library.code);
    // When
    const bumped = await redis.call("FCALL", library.functions.bump.name, 1, "n", 5);
    await redis.script("FLUSH");
    const peeked = await redis.call("FCALL_RO", library.functions.peek.name, 1, "n");
    const refused = await redis
      .call("FCALL_RO", library.functions.bump.name, 1, "n", 1)
      .catch((error: Error) => error.message);
    // Then
    expect([bumped, peeked]).toEqual([5, "5"]);
    expect(refused).toBe("ERR Can not execute a script with write flag using *_ro command.");
    expect(redis.scriptRunCounts()).toEqual({ twin: 0, lua: 2 });
    await redis.quit();
  });

  it("keeps loaded libraries in snapshots", async () => {
    // Given a fake whose store loaded the core library on first use
    const redis = createFakeRedis();
    await redis.call("FUNCTION", "LOAD", coreFunctionLibrary.code);
    // When a copy is made from its snapshot
    const copy = createFakeRedis({ snapshot: redis.snapshot() });
    // Then the copy has the library
    const listed = (await copy.call("FUNCTION", "LIST")) as unknown[][];
    expect(listed.map((entry) => entry[1])).toEqual([coreFunctionLibrary.name]);
    await Promise.all([redis.quit(), copy.quit()]);
  });
});
