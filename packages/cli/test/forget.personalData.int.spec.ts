import {
  dataSubject,
  defineEvents,
  getRedisEventStore,
  personal,
  personalDataAuditKey,
  silentLogger,
} from "@streamstore/core";
import { dataKeyKey } from "@streamstore/core/internal";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { deleteKeysUnder, randomPrefix, runCli } from "./support/cli.js";

// Issue 16: `streamstore forget <subject>` on the real binary: asks before it acts (refused
// without a terminal unless --yes), destroys the key, records the audit entry.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("forget");
const redis = new Redis(redisUrl);
const cli = (...args: string[]) => runCli([...args, "--prefix", prefix], { REDIS_URL: redisUrl });
const events = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()),
    email: personal(z.string()),
  }),
});

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("streamstore forget", () => {
  it("refuses to act without --yes when there is no terminal, then forgets with --yes and records the audit entry", async () => {
    // Given a customer with personal data
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    await store.append("customer-c-1", [
      { type: "CustomerRegistered", data: { customerId: "c-1", email: "ada@example.com" } },
    ]);
    // When forget runs without --yes (no terminal), then with it, then again
    const refused = await cli("forget", "c-1");
    const keyAfterRefusal = await redis.get(dataKeyKey(prefix, "c-1"));
    const done = await cli(
      "forget",
      "c-1",
      "--yes",
      "--by",
      "dpo",
      "--reason",
      "request 118",
      "--json",
    );
    const again = await cli("forget", "c-1", "--yes");
    const invalid = await cli("forget", "a{b}", "--yes");
    // Then the first changed nothing (usage error), the second forgot, the third says so
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Pass --yes to confirm/);
    expect(keyAfterRefusal).toMatch(/^k1:/);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      subject: "c-1",
      forgotten: true,
      hadKey: true,
    });
    expect(await redis.get(dataKeyKey(prefix, "c-1"))).toMatch(/^x1:/);
    const audit = await redis.xrange(personalDataAuditKey(prefix), "-", "+");
    expect(audit.map(([, fields]) => fields)).toEqual([
      ["subject", "c-1", "at", expect.any(String), "by", "dpo", "reason", "request 118"],
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already forgotten/);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^\[streamstore\] invalid data subject/);
    // And a store whose cache has not seen the key reads the email as forgotten (the first
    // store's warm cache would go on decrypting for its TTL: the documented bound)
    const fresh = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    for await (const event of fresh.read("customer-c-1")) {
      expect(event.data.email).toEqual({ forgotten: true });
    }
  });
});
