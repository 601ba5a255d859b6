import { createHash } from "node:crypto";
import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import {
  createRedisReadModelStore,
  defineProjection,
  startProjection,
} from "@streamstore/projections";
import { PROJECTION_SCRIPT_TWINS } from "@streamstore/projections/internal";
import { describe, expect, it } from "vitest";
import { z } from "zod";
// The projections package does not export its scripts: read them where they are written.
import { createFakeRedis } from "../../src/index.js";

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

describe("PROJECTION_SCRIPT_TWINS", () => {
  it("are ported from the current text of their sources (edit a script, then its twin and its pinned SHA)", () => {
    for (const twin of PROJECTION_SCRIPT_TWINS) {
      expect(
        twin.portedFromSha1,
        `${twin.name}: the Lua changed; update the twin and portedFromSha1`,
      ).toBe(sha1(twin.source));
    }
  });
});

describe("createFakeRedis with the default twins", () => {
  it("serves the store's inline active-build switch from its twin", async () => {
    // Given
    const redis = createFakeRedis();
    const readModel = createRedisReadModelStore({ redis, prefix: "p", name: "balances" });
    // When
    const switched = await readModel.switchActiveBuild(null, "v1");
    const refused = await readModel.switchActiveBuild("v0", "v2");
    // Then
    expect([switched, refused]).toEqual([true, false]);
    expect(redis.scriptRunCounts()).toEqual({ twin: 2, lua: 0 });
    await redis.quit();
  });

  it("runs a projection without a single script in the Lua VM", async () => {
    // Given
    const redis = createFakeRedis();
    const events = defineEvents({ Deposited: z.object({ amount: z.number() }) });
    const store = getRedisEventStore({ redis, events, serverCheck: "off", logger: silentLogger });
    const balances = defineProjection(events, {
      name: "balances",
      version: 1,
      source: ["account"],
      key: (event) => event.streamName,
      initialState: () => ({ balance: 0 }),
      handlers: {
        Deposited: (draft, event) => {
          draft.balance += event.data.amount;
        },
      },
    });
    await store.append("account-1", [{ type: "Deposited", data: { amount: 5 } }]);
    // When
    const runner = startProjection(balances, { redis, store, logger: silentLogger });
    await runner.waitUntilCaughtUp();
    const balance = await runner.get("account-1");
    await runner.stop();
    // Then: append, heartbeat, acquire, commit, switch, renew/release all ran as twins
    expect(balance).toEqual({ balance: 5 });
    expect(redis.scriptRunCounts().lua).toBe(0);
    expect(redis.scriptRunCounts().twin).toBeGreaterThanOrEqual(5);
    await redis.quit();
  });
});
