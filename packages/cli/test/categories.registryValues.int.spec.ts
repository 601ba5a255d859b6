import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { deleteKeysUnder, randomPrefix, runCli } from "./support/cli.js";

// Issue 14: a category registry entry of 100000000 partitions made `categories` run 15 s up to
// 1.57 GB and `projections list` hang; 1e10 gave a RangeError. Each value is checked as read: the
// commands report the typed error (naming the registry key and field) and go on with the valid
// categories, within a few seconds.

const redisUrl = inject("redisUrl");
const events = defineEvents({ Opened: z.object({ owner: z.string() }) });
const BAD_VALUES = ["100000000", "1e10", "-1", "abc"] as const;
// A run that does not finish in this long is a failure (a CLI start is ~0.5 s).
const RESPONSIVE_MS = 10_000;

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(redisUrl);
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

/** A prefix with a valid "account" category (events, a projection's group) and "broken" = value. */
async function seed(value: string): Promise<string> {
  const prefix = randomPrefix("registry");
  prefixes.push(prefix);
  const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
  await store.append("account-alice", [{ type: "Opened", data: { owner: "Alice" } }]);
  const keys = keyLayout(prefix);
  await redis.xgroup("CREATE", keys.log("account", 0), "rm:balances:v1", "0");
  await redis.hset(keys.categories(), "broken", value);
  return prefix;
}

async function timedCli(args: string[]) {
  const started = Date.now();
  const run = await runCli(args, { REDIS_URL: redisUrl });
  return { ...run, ms: Date.now() - started };
}

describe.each(BAD_VALUES)("a category registry entry of %s", (value) => {
  let prefix: string;
  let registryError: RegExp;

  beforeAll(async () => {
    prefix = await seed(value);
    const key = keyLayout(prefix).categories();
    registryError = new RegExp(
      `^\\[streamstore\\] the category registry ${key} holds field "broken" = ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}: a partition count is a whole number from 1 to 1024`,
      "m",
    );
  });

  it("is reported by `categories`, which lists the valid category", async () => {
    // When the categories are listed, as a table and as JSON
    const table = await timedCli(["categories", "--prefix", prefix]);
    const json = await timedCli(["categories", "--prefix", prefix, "--json"]);

    // Then both finish quickly, report the entry on stderr and list "account" alone
    for (const run of [table, json]) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.ms).toBeLessThan(RESPONSIVE_MS);
      expect(run.stderr).toMatch(registryError);
    }
    expect(table.stdout).toMatch(/│ account +│ 0 +│ 1 +│/);
    expect(table.stdout).not.toContain("broken");
    const parsed = JSON.parse(json.stdout) as { categories: { category: string }[] };
    expect(parsed.categories.map((entry) => entry.category)).toEqual(["account"]);
  });

  it("is reported by `projections list`, which lists the projection found on the valid category", async () => {
    // When the projections are listed
    const run = await timedCli(["projections", "list", "--prefix", prefix, "--json"]);

    // Then it finishes quickly, reports the entry, and finds balances reading "account"
    expect(run.code, run.stderr).toBe(0);
    expect(run.ms).toBeLessThan(RESPONSIVE_MS);
    expect(run.stderr).toMatch(registryError);
    const parsed = JSON.parse(run.stdout) as { projections: { name: string; source: string[] }[] };
    expect(parsed.projections.map((found) => [found.name, found.source])).toEqual([
      ["balances", ["account"]],
    ]);
  });

  it("makes `stream show` and `tail` of that category fail with the typed error, exit code 1", async () => {
    // When a stream of the broken category is shown, and the category tailed
    const show = await timedCli(["stream", "show", "broken-1", "--prefix", prefix]);
    const tail = await timedCli(["tail", "broken", "--prefix", prefix]);

    // Then each exits 1 at once with the error naming the key and field, and prints no data
    for (const run of [show, tail]) {
      expect([run.code, run.stdout]).toEqual([1, ""]);
      expect(run.ms).toBeLessThan(RESPONSIVE_MS);
      expect(run.stderr).toMatch(registryError);
    }
  });
});
