import { silentLogger } from "@streamstore/core";
import { type ProjectionRunner, startProjection } from "@streamstore/projections";
import { projectionKeys } from "@streamstore/projections/internal";
import { until } from "@streamstore/testing/internal";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fragileBalances } from "./fixtures/fragileBalances.js";
import { CONFIG, deleteKeysUnder, randomPrefix, runCli } from "./support/cli.js";
import { seedBankExample } from "./support/seedBankExample.js";

// Issue 7: projections status (with and without the config module) and the dead-letter commands,
// on the bank example's Redis plus two poison deposits (13) that fragile-balances dead-letters.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("dlq");
let redis: Redis;
let runner: ProjectionRunner<unknown>;

const cli = (...args: string[]) => runCli([...args, "--prefix", prefix], { REDIS_URL: redisUrl });
const cliWithConfig = (env: Record<string, string>, ...args: string[]) =>
  runCli([...args, "--prefix", prefix, "--config", CONFIG], { REDIS_URL: redisUrl, ...env });

interface Letter {
  id: string;
  partition: string;
  type: string;
  reason: string;
  error: string;
  entry: unknown;
}

beforeAll(async () => {
  ({ redis } = await seedBankExample({
    redisUrl,
    prefix,
    poison: ["account-bob", "account-alice"],
  }));
  runner = startProjection(fragileBalances, {
    redis,
    prefix,
    logger: silentLogger,
    maxDeliveries: 1,
    heartbeatMs: 200,
    memberTtlMs: 1000,
    leaseTtlMs: 1500,
    blockMs: 300,
    leaseMarginMs: 100,
  });
  await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
  for (let i = 0; i < 100 && (await runner.status()).partitions[0]?.state !== "live"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  await runner.stop();
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

describe("streamstore projections status", () => {
  it("reports every projection found in Redis without a config: a table per build and JSON", async () => {
    // Given balances (stopped by the example, 2 deposits behind) and fragile-balances (running, 2 dead letters)
    // When status is asked for without any config module
    const table = await cli("projections", "status");
    const json = await cli("projections", "status", "--json");
    const list = await cli("projections", "list", "--json");
    const check = await cli("projections", "status", "fragile-balances", "--check");

    // Then both projections are reported with state, owner, lag and dead letters
    const statuses = (
      JSON.parse(json.stdout) as {
        projections: {
          projection: string;
          build: string;
          activeBuild: string;
          deadLetters: number;
          workers: string[];
          partitions: { state: string; lag: number; owner: string | null; applied: number }[];
        }[];
      }
    ).projections;
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/balances\s+build v1 \(active\)/);
    expect(table.stdout).toMatch(
      /fragile-balances\s+build v1 \(active\)\s+workers 1\s+dead letters 2\s+unhealthy/,
    );
    expect(table.stdout).toMatch(/account:0\s+│ live\s+│ /);
    expect(
      statuses.map((status) => [
        status.projection,
        status.build,
        status.activeBuild,
        status.deadLetters,
      ]),
    ).toEqual([
      ["balances", "v1", "v1", 0],
      ["fragile-balances", "v1", "v1", 2],
    ]);
    expect(statuses[0]?.partitions.map((p) => [p.state, p.lag, p.owner])).toEqual([
      ["stopped", 2, null],
    ]);
    expect(statuses[1]?.partitions.map((p) => [p.state, p.lag, p.owner])).toEqual([
      ["live", 0, runner.workerId],
    ]);
    expect(statuses[1]?.partitions[0]?.applied).toBe(
      (statuses[0]?.partitions[0]?.applied ?? 0) + 2,
    );
    expect(
      (
        JSON.parse(list.stdout) as {
          projections: { name: string; source: string[]; inConfig: boolean }[];
        }
      ).projections.map((p) => [p.name, p.source, p.inConfig]),
    ).toEqual([
      ["balances", ["account"], false],
      ["fragile-balances", ["account"], false],
    ]);
    // And --check fails (exit code 3) while dead letters wait
    expect(check.code).toBe(3);
  });

  it("redraws with --watch until Ctrl-C, then exits with code 0", async () => {
    // Given a status watch every 200 ms, as JSON lines
    const { startCli, finished } = await import("./support/cli.js");
    const child = startCli(
      [
        "projections",
        "status",
        "fragile-balances",
        "--watch",
        "--interval",
        "200",
        "--json",
        "--prefix",
        prefix,
      ],
      { REDIS_URL: redisUrl },
    );
    let printed = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const run = finished(child);

    // When it has drawn three snapshots (a condition, not a clock: the binary's start alone takes
    // seconds on a loaded machine), then Ctrl-C
    await until(
      () => printed.split("\n").filter(Boolean).length >= 3,
      "three snapshots drawn",
      60_000,
    );
    child.kill("SIGINT");
    const { code, stdout } = await run;

    // Then several snapshots were printed and the exit code is 0
    const snapshots = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { projections: { projection: string }[] });
    expect(code).toBe(0);
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(
      snapshots.every((snapshot) => snapshot.projections[0]?.projection === "fragile-balances"),
    ).toBe(true);
  });
});

describe("streamstore dlq", () => {
  it("lists and shows dead letters without code, retries them with the fixed code, and discards the rest", async () => {
    // Given two dead letters of fragile-balances (deposits of 13)
    const listed = await cli("dlq", "list", "fragile-balances", "--json");
    const letters = (JSON.parse(listed.stdout) as { build: string; deadLetters: Letter[] })
      .deadLetters;
    const [bobLetter, aliceLetter] = letters;
    const table = await cli("dlq", "list", "fragile-balances");
    const shown = await cli("dlq", "show", "fragile-balances", bobLetter?.id ?? "", "--json");
    const shownText = await cli("dlq", "show", "fragile-balances", bobLetter?.id ?? "");
    const bobBefore = await runner.get("account-bob");

    // When one is retried with the bug still there, then with the fix, and the other discarded
    const stillBroken = await cliWithConfig(
      {},
      "dlq",
      "retry",
      "fragile-balances",
      bobLetter?.id ?? "",
    );
    const fixed = await cliWithConfig(
      { STREAMSTORE_TEST_HEALED: "1" },
      "dlq",
      "retry",
      "fragile-balances",
      bobLetter?.id ?? "",
      "--json",
    );
    const again = await cliWithConfig(
      { STREAMSTORE_TEST_HEALED: "1" },
      "dlq",
      "retry",
      "fragile-balances",
      bobLetter?.id ?? "",
    );
    const withoutYes = await cli("dlq", "discard", "fragile-balances", "--all");
    const discarded = await cli("dlq", "discard", "fragile-balances", "--all", "--yes");
    const empty = await cli("dlq", "list", "fragile-balances");
    runner.refresh();
    const bobAfter = await runner.get("account-bob");

    // Then list and show print the poison events and their error
    expect(listed.code).toBe(0);
    expect(
      letters.map((letter) => [letter.partition, letter.type, letter.reason, letter.error]),
    ).toEqual([
      ["account:0", "Deposited", "handler", "Error: cannot handle a deposit of 13"],
      ["account:0", "Deposited", "handler", "Error: cannot handle a deposit of 13"],
    ]);
    expect(table.stdout).toContain(`│ ${bobLetter?.id}`);
    expect(table.stdout).toContain('2 dead letters of "fragile-balances" build v1');
    expect((JSON.parse(shown.stdout) as Letter).entry).toMatchObject({
      a: "bob",
      t: "Deposited",
      d: '{"amount":13}',
    });
    expect(shownText.stdout).toMatch(/error\s+Error: cannot handle a deposit of 13/);
    // And a retry that fails again keeps the dead letter (exit code 1); the fixed code applies it once
    expect(stillBroken.code).toBe(1);
    expect(stillBroken.stdout).toContain("0 of 1 dead letter retried");
    expect(fixed.code).toBe(0);
    expect((JSON.parse(fixed.stdout) as { results: unknown[] }).results).toEqual([
      { id: bobLetter?.id, ok: true, key: "account-bob" },
    ]);
    expect(again.code).toBe(4);
    expect((bobAfter as { balance: number }).balance).toBe(
      (bobBefore as { balance: number }).balance + 13,
    );
    // And discarding needs --yes without a terminal, then removes the other one
    expect(withoutYes.code).toBe(2);
    expect(discarded.code).toBe(0);
    expect(discarded.stdout).toContain('Discarded 1 dead letter of "fragile-balances" build v1.');
    expect(aliceLetter).toBeDefined();
    expect(empty.stdout).toContain('Projection "fragile-balances" build v1 has no dead letters.');
    expect(await redis.xlen(projectionKeys(prefix, "fragile-balances").deadLetters("v1"))).toBe(0);
  });

  it("exits with code 4 for an unknown dead letter and asks for the config to retry", async () => {
    // Given no dead letter 1-0 and no config module
    // When it is shown and retried without a config
    const shown = await cli("dlq", "show", "fragile-balances", "1-0");
    const retried = await cli("dlq", "retry", "fragile-balances", "1-0");

    // Then both say what to do
    expect(shown.code).toBe(4);
    expect(shown.stderr).toContain(
      '[streamstore] projection "fragile-balances" has no dead letter "1-0"',
    );
    expect(retried.code).toBe(4);
    expect(retried.stderr).toContain("no config module lists projections");
  });

  it("refuses an id that is not a stream id with a usage error (exit 2), before reading Redis", async () => {
    // Given the dead letters there are now
    const deadLetters = projectionKeys(prefix, "fragile-balances").deadLetters("v1");
    const before = await redis.xrange(deadLetters, "-", "+");

    // When a dead letter is named by something that is not <ms>-<seq>
    const shown = await cli("dlq", "show", "fragile-balances", "alice");
    const discarded = await cli("dlq", "discard", "fragile-balances", "1-0-0", "--yes");

    // Then both are usage errors that show the expected form, and nothing was discarded
    for (const result of [shown, discarded]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("must be a stream id such as 1718000000000-0");
    }
    expect(await redis.xrange(deadLetters, "-", "+")).toEqual(before);
  });
});
