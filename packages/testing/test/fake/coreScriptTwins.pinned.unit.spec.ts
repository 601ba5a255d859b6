import { createHash } from "node:crypto";
import {
  APPEND_SCRIPT,
  CORE_SCRIPT_TWINS,
  READ_SCRIPT,
  READ_SCRIPT_TWIN,
  SNAPSHOT_SCRIPT,
  VERSION_SCRIPT,
} from "@streamstore/core/internal";
import { describe, expect, it } from "vitest";

describe("CORE_SCRIPT_TWINS", () => {
  it("twin every script the event store runs: append, read, version and snapshot", () => {
    expect(CORE_SCRIPT_TWINS.map((twin) => [twin.name, twin.source])).toEqual([
      ["core append", APPEND_SCRIPT],
      ["core read", READ_SCRIPT],
      ["core version", VERSION_SCRIPT],
      ["core snapshot", SNAPSHOT_SCRIPT],
    ]);
    expect(CORE_SCRIPT_TWINS).toContain(READ_SCRIPT_TWIN);
  });

  it("are ported from the current text of core's scripts (edit a script, then its twin and its pinned SHA)", () => {
    for (const twin of CORE_SCRIPT_TWINS) {
      const current = createHash("sha1").update(twin.source).digest("hex");
      expect(
        twin.portedFromSha1,
        `${twin.name}: core's Lua changed; update the twin and portedFromSha1`,
      ).toBe(current);
    }
  });
});

describe("createFakeRedis with a stale twin", () => {
  it("runs the Lua, not a twin whose pinned SHA no longer matches its source", async () => {
    // Given a twin that claims to port another text than its source
    const { createFakeRedis } = await import("@streamstore/testing");
    const stale = {
      name: "stale get",
      source: "return redis.call('GET', KEYS[1])",
      portedFromSha1: "0".repeat(40),
      run: () => "from the twin",
    };
    const redis = createFakeRedis({ scriptTwins: [stale] });
    await redis.set("k", "from the Lua");
    // When the script runs
    const reply = await redis.eval(stale.source, 1, "k");
    // Then the Lua ran
    expect(reply).toBe("from the Lua");
    expect(redis.scriptRunCounts()).toMatchObject({ twin: 0, lua: 1 });
    await redis.quit();
  });
});
