import { getRedisEventStore, INDEX_RECORD_BYTES, silentLogger } from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { accountEvents } from "../../../examples/bank-account/src/account.js";
import { CONFIG, deleteKeysUnder, randomPrefix, runCli } from "./support/cli.js";

// Storage layout 2 (issue 12): `streams` lists aggregates from their index keys, `stream show`
// reads through the index page by page, and a prefix written by the stream-per-aggregate layout is
// named as such instead of listed as empty. Keys written by hand (a non-string where an index
// belongs, an index of broken length, a log entry deleted under an index) are reported, not
// mistaken for events.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("index");
const legacy = randomPrefix("legacy");
const keys = keyLayout(prefix);
let redis: Redis;

const cli = (...args: string[]) => runCli([...args, "--prefix", prefix], { REDIS_URL: redisUrl });
const json = <T>(run: { stdout: string }) => JSON.parse(run.stdout) as T;

beforeAll(async () => {
  redis = new Redis(redisUrl);
  const store = getRedisEventStore({
    redis,
    events: accountEvents,
    prefix,
    serverCheck: "off",
    logger: silentLogger,
  });
  // account-big: more versions than `stream show` reads in one page (1000).
  await store.append("account-big", [{ type: "AccountOpened", data: { owner: "Big" } }]);
  for (let batch = 0; batch < 6; batch++) {
    await store.append(
      "account-big",
      Array.from({ length: 200 }, (_, index) => ({
        type: "Deposited" as const,
        data: { amount: batch * 200 + index + 1 },
      })),
    );
  }
  for (const id of ["holey", "broken"]) {
    await store.append(`account-${id}`, [
      { type: "AccountOpened", data: { owner: id } },
      { type: "Deposited", data: { amount: 1 } },
      { type: "Deposited", data: { amount: 2 } },
    ]);
  }
  // By hand: version 2 of account-holey deleted from the log, 5 stray bytes on account-broken's
  // index, and a hash where an index of account-odd would be.
  const [, second] = (await redis.xrange(keys.log("account", 0), "-", "+")).filter(([, fields]) =>
    fields.includes("holey"),
  );
  await redis.xdel(keys.log("account", 0), second?.[0] ?? "");
  await redis.append(keys.index("account", 0, "broken"), "stray");
  await redis.hset(keys.index("account", 0, "odd"), "not", "an index");
  // A prefix of the stream-per-aggregate layout: categories registered, no layout key.
  await redis.hset(`${legacy}:categories`, "account", "1");
  await redis.xadd(`${legacy}:{account:0}:s:alice`, "1-0", "i", "e1", "t", "AccountOpened");
  await redis.xadd(`${legacy}:{account:0}:log`, "*", "a", "alice", "v", "1", "t", "AccountOpened");
}, 60_000);

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await deleteKeysUnder(redis, legacy);
  await redis.quit();
});

describe("streamstore streams on the index layout", () => {
  it("lists every aggregate from its index key with STRLEN / 12 as version, skipping keys that are not indexes", async () => {
    // Given three aggregates' indexes, one of them with stray bytes, and a hash named like an index
    // When the streams are listed, as JSON and as a table
    const listed = await cli("streams", "--json");
    const table = await cli("streams");

    // Then each aggregate is there with its version and last commit time, the hash is skipped
    const parsed = json<{
      total: number;
      skipped: number;
      corrupt: string[];
      streams: { stream: string; version: number; lastEventAt: string | null; key: string }[];
    }>(listed);
    expect(listed.code).toBe(0);
    expect(parsed.streams.map((stream) => [stream.stream, stream.version, stream.key])).toEqual([
      ["account-big", 1201, keys.index("account", 0, "big")],
      ["account-broken", 3, keys.index("account", 0, "broken")],
      ["account-holey", 3, keys.index("account", 0, "holey")],
    ]);
    expect(parsed.total).toBe(3);
    expect(parsed.skipped).toBe(1);
    expect(parsed.corrupt).toEqual([keys.index("account", 0, "broken")]);
    // (the time of the last version's log position; none for an index of broken length)
    const [big, broken, holey] = parsed.streams;
    expect(Date.parse(big?.lastEventAt ?? "")).toBeGreaterThan(Date.now() - 600_000);
    expect(broken?.lastEventAt).toBeNull();
    expect(holey?.lastEventAt).not.toBeNull();
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/account-big\s+│ 1201\s+│ \d{4}-/);
    expect(table.stderr).toContain(
      `skipped 1 key named like an aggregate index but not a string (not written by streamstore), e.g. ${keys.index("account", 0, "odd")}`,
    );
    expect(table.stderr).toContain(
      `1 aggregate index is not whole ${INDEX_RECORD_BYTES}-byte records`,
    );
  });
});

describe("streamstore stream show on the index layout", () => {
  it("reads more versions than one page holds, forward and newest first, with the continuation hint", async () => {
    // Given account-big at version 1201
    // When 1100 of its events are shown each way, and the table's last page
    const forward = await cli("stream", "show", "account-big", "--limit", "1100", "--json");
    const backward = await cli(
      "stream",
      "show",
      "account-big",
      "--limit",
      "1100",
      "--newest-first",
      "--json",
      "--config",
      CONFIG,
    );
    const table = await cli("stream", "show", "account-big", "--from", "1199", "--limit", "2");

    // Then the versions are contiguous across the pages, each event its own
    const versions = (run: { stdout: string }) =>
      json<{ version: number; events: { version: number; data: unknown }[] }>(run);
    expect(forward.code).toBe(0);
    expect(versions(forward).version).toBe(1201);
    expect(versions(forward).events.map((event) => event.version)).toEqual(
      Array.from({ length: 1100 }, (_, index) => index + 1),
    );
    expect(backward.code).toBe(0);
    expect(versions(backward).events.map((event) => event.version)).toEqual(
      Array.from({ length: 1100 }, (_, index) => 1201 - index),
    );
    expect(versions(backward).events[0]?.data).toEqual({ amount: 1200 });
    expect(versions(backward).events[1099]?.data).toEqual({ amount: 101 });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ 1200\s+│ Deposited/);
    expect(table.stdout).toContain("continue with --from 1201");
  });

  it("refuses a version the log no longer holds, and an index of broken length, as the store does", async () => {
    // Given account-holey's version 2 deleted from the log, account-broken's stray bytes
    // When they are shown, with and without the config's catalog
    const holey = await cli("stream", "show", "account-holey");
    const holeyDecoded = await cli("stream", "show", "account-holey", "--config", CONFIG);
    const holeyFrom3 = await cli("stream", "show", "account-holey", "--from", "3", "--json");
    const broken = await cli("stream", "show", "account-broken");

    // Then each names the aggregate, the version and the reason, with exit code 1 and no stack
    for (const run of [holey, holeyDecoded]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('of "account-holey" (version 2) is not a valid event');
      expect(run.stderr).toContain("the category log no longer holds it");
      expect(run.stderr).not.toContain("This looks like a bug");
    }
    // (what the log still holds stays readable)
    expect(holeyFrom3.code).toBe(0);
    expect(json<{ events: { version: number }[] }>(holeyFrom3).events).toHaveLength(1);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`its index holds ${3 * INDEX_RECORD_BYTES + 5} bytes`);
    expect(broken.stderr).not.toContain("This looks like a bug");
  });
});

describe("streamstore on a prefix of the stream-per-aggregate layout", () => {
  it("says the prefix is of the older layout for streams, stream show, categories and tail", async () => {
    // Given a prefix with a categories hash, an aggregate stream and a log, but no layout key
    // When the reading commands run against it
    const runs = await Promise.all(
      [
        ["streams"],
        ["streams", "--json"],
        ["stream", "show", "account-alice"],
        ["categories"],
        ["tail", "account"],
      ].map((args) => runCli([...args, "--prefix", legacy], { REDIS_URL: redisUrl })),
    );

    // Then each stops with exit code 1 and the store's LegacyLayoutError message, printing nothing
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `[streamstore] prefix "${legacy}" was written with an older storage layout`,
      );
      expect(run.stderr).toContain(`${legacy}:categories exists without ${legacy}:layout`);
      expect(run.stdout).toBe("");
    }
  });
});
