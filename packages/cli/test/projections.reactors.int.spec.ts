import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@streamstore/core";
import {
  createReactorDeadLetters,
  defineReactor,
  getReactorStatus,
  type ReactorRunner,
  startReactor,
} from "@streamstore/projections";
import { reactorKeys } from "@streamstore/projections/internal";
import { until } from "@streamstore/testing/internal";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { accountEvents } from "../../../examples/bank-account/src/account.js";
import { fragileMailer } from "./fixtures/fragileMailer.js";
import { deleteKeysUnder, randomPrefix, runCli } from "./support/cli.js";
import { seedBankExample } from "./support/seedBankExample.js";

// Issue 13: reactors were invisible to `projections list/status`, and `dlq` on a reactor said it
// "never ran". A reactor running in this process (another process, for the binary) whose handler
// fails on deposits of 13: two dead letters, found from Redis alone.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("rx");
const REACTORS_CONFIG = fileURLToPath(new URL("./fixtures/reactors.config.ts", import.meta.url));
const mailbox = mkdtempSync(join(tmpdir(), "streamstore-mailbox-"));
let redis: Redis;
let worker: ReactorRunner;

const cli = (...args: string[]) => runCli([...args, "--prefix", prefix], { REDIS_URL: redisUrl });
const cliWithConfig = (env: Record<string, string>, ...args: string[]) =>
  runCli([...args, "--prefix", prefix, "--config", REACTORS_CONFIG], {
    REDIS_URL: redisUrl,
    ...env,
  });

interface ReactorEntry {
  kind: string;
  reactor: string;
  group: string;
  deadLetters: number;
  healthy: boolean;
  lastActivityAt: number | null;
  consumers: { name: string; pending: number }[];
  partitions: {
    category: string;
    partition: number;
    group: string | null;
    lag: number | null;
    pending: number;
    consumers: number;
  }[];
}

interface Letter {
  id: string;
  partition: string;
  type: string;
  reason: string;
  error: string;
  /** The log entry's fields as JSON text (`dlq show` parses them). */
  entry: string;
}

beforeAll(async () => {
  ({ redis } = await seedBankExample({
    redisUrl,
    prefix,
    poison: ["account-bob", "account-alice"],
  }));
  worker = startReactor(fragileMailer, {
    redis,
    prefix,
    workerId: "mailer-worker-1",
    startFrom: "beginning",
    maxDeliveries: 1,
    blockMs: 200,
    logger: silentLogger,
  });
  // The condition the tests read: both poison deposits parked, nothing pending or left.
  await until(async () => {
    const status = await getReactorStatus(fragileMailer, { redis, prefix });
    return (
      status.deadLetters === 2 &&
      status.partitions.every((partition) => partition.lag === 0 && partition.pending === 0)
    );
  }, "the reactor handled every event, two of them dead-lettered");
});

afterAll(async () => {
  await worker.stop();
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  rmSync(mailbox, { recursive: true, force: true });
});

describe("streamstore projections list/status with a reactor", () => {
  it("lists the reactor beside the projections, found in Redis without a config, marked kind reactor", async () => {
    // Given the bank example's projection and a running reactor, and no config module
    // When projections are listed, as a table and as JSON
    const table = await cli("projections", "list");
    const json = await cli("projections", "list", "--json");

    // Then the reactor is a row of kind "reactor" with its group, found in Redis only
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ balances\s+│ projection\s+│ 1 /);
    expect(table.stdout).toMatch(
      /│ fragile-mailer\s+│ reactor\s+│ -\s+│ account\s+│ -\s+│ rx:fragile-mailer\s+│ Redis only/,
    );
    const listed = (JSON.parse(json.stdout) as { projections: { kind: string; name: string }[] })
      .projections;
    expect(listed.map((entry) => [entry.kind, entry.name])).toEqual([
      ["projection", "balances"],
      ["reactor", "fragile-mailer"],
    ]);
    expect(listed[1]).toEqual({
      kind: "reactor",
      name: "fragile-mailer",
      source: ["account"],
      group: "rx:fragile-mailer",
      inConfig: false,
    });
  });

  it("reports the reactor's group per partition, lag, pending, consumers, dead letters and last activity", async () => {
    // Given the reactor caught up with two dead letters
    // When its status is asked for, as a table and as JSON, and checked
    const table = await cli("projections", "status", "fragile-mailer");
    const json = await cli("projections", "status", "fragile-mailer", "--json");
    const all = await cli("projections", "status", "--json");
    const check = await cli("projections", "status", "fragile-mailer", "--check");

    // Then the table shows it as a reactor, with its group on account:0 and its worker
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /fragile-mailer\s+reactor\s+group rx:fragile-mailer\s+consumers 1\s+dead letters 2\s+last activity \d{4}-\d\d-\d\dT[\d:.]+Z\s+unhealthy/,
    );
    expect(table.stdout).toMatch(
      /consumers: mailer-worker-1 \(active [\d.]+ (ms|s|min) ago, 0 pending\)/,
    );
    expect(table.stdout).toMatch(
      /│ account:0\s+│ rx:fragile-mailer\s+│ \d+-\d+\s+│ 0\s+│ 0\s+│ 1\s+│ 2\s+│ \d{4}-/,
    );
    // And the JSON carries the same, marked kind "reactor"
    const [entry] = (JSON.parse(json.stdout) as { projections: ReactorEntry[] }).projections;
    expect(entry).toMatchObject({
      kind: "reactor",
      reactor: "fragile-mailer",
      group: "rx:fragile-mailer",
      deadLetters: 2,
      healthy: false,
      consumers: [{ name: "mailer-worker-1", pending: 0 }],
    });
    expect(entry?.lastActivityAt).toBeGreaterThan(Date.now() - 60_000);
    expect(
      entry?.partitions.map((p) => [
        p.category,
        p.partition,
        p.group,
        p.lag,
        p.pending,
        p.consumers,
      ]),
    ).toEqual([["account", 0, "rx:fragile-mailer", 0, 0, 1]]);
    // And the whole status has the projection and the reactor; --check fails while dead letters wait
    expect(
      (JSON.parse(all.stdout) as { projections: { kind: string }[] }).projections.map(
        (status) => status.kind,
      ),
    ).toEqual(["projection", "reactor"]);
    expect(check.code).toBe(3);
  });

  it("exits with code 4 for a name that is neither, listing the projections and reactors it knows", async () => {
    // When an unknown name's status and dead letters are asked for
    const status = await cli("projections", "status", "nobody");
    const listed = await cli("dlq", "list", "nobody");

    // Then both say which names exist
    for (const run of [status, listed]) {
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(
        `[streamstore] no projection or reactor "nobody" in the config or in Redis under prefix "${prefix}". Known projections: balances; reactors: fragile-mailer.`,
      );
    }
  });
});

describe("streamstore dlq with a reactor", () => {
  // The dead letters by owner, read as any client would (bob's is retried, alice's discarded).
  const letterOf = async (owner: "bob" | "alice") => {
    const letters = await createReactorDeadLetters(fragileMailer, { redis, prefix }).list();
    const letter = letters.find((candidate) => JSON.parse(candidate.entry).a === owner);
    if (!letter) throw new Error(`no dead letter of ${owner}`);
    return { id: letter.id, eventId: (JSON.parse(letter.entry) as { i: string }).i };
  };

  it("lists and shows the reactor's dead letters without its code", async () => {
    // Given two dead letters of the reactor (deposits of 13 by bob and alice)
    const bob = await letterOf("bob");
    // When they are listed and bob's shown, as JSON and for people
    const listed = await cli("dlq", "list", "fragile-mailer", "--json");
    const table = await cli("dlq", "list", "fragile-mailer");
    const shown = await cli("dlq", "show", "fragile-mailer", bob.id, "--json");
    const shownText = await cli("dlq", "show", "fragile-mailer", bob.id);

    // Then list and show read the reactor's dead letters, marked as a reactor's
    const { deadLetters: letters, ...head } = JSON.parse(listed.stdout) as {
      deadLetters: Letter[];
    };
    expect(listed.code).toBe(0);
    expect(head).toEqual({ kind: "reactor", reactor: "fragile-mailer" });
    expect(
      letters.map((letter) => [letter.partition, letter.type, letter.reason, letter.error]),
    ).toEqual([
      ["account:0", "Deposited", "handler", "Error: cannot mail a deposit of 13"],
      ["account:0", "Deposited", "handler", "Error: cannot mail a deposit of 13"],
    ]);
    expect(table.stdout).toContain(`│ ${bob.id}`);
    expect(table.stdout).toContain('2 dead letters of reactor "fragile-mailer". Retry:');
    expect(JSON.parse(shown.stdout)).toMatchObject({
      kind: "reactor",
      reactor: "fragile-mailer",
      id: bob.id,
      entry: { a: "bob", i: bob.eventId, d: '{"amount":13}' },
    });
    expect(shownText.stdout).toMatch(/reactor\s+fragile-mailer\n/);
    expect(shownText.stdout).toMatch(/error\s+Error: cannot mail a deposit of 13/);
  });

  it("retries a dead letter through the config's handler: refused without the code, kept while it fails, removed once it ran", async () => {
    // Given bob's dead letter, and a mailbox the handler writes to
    const bob = await letterOf("bob");
    const env = { STREAMSTORE_TEST_MAILBOX: join(mailbox, "sent") };
    // When it is retried without the reactor's code, with the bug, then with the fix
    const withoutCode = await cli("dlq", "retry", "fragile-mailer", bob.id);
    const stillBroken = await cliWithConfig(env, "dlq", "retry", "fragile-mailer", bob.id);
    const fixed = await cliWithConfig(
      { ...env, STREAMSTORE_TEST_HEALED: "1" },
      "dlq",
      "retry",
      "fragile-mailer",
      bob.id,
      "--json",
    );

    // Then the retry needs the code, a failing one keeps it, and the fixed handler ran once
    expect(withoutCode.code).toBe(4);
    expect(withoutCode.stderr).toContain(
      '[streamstore] retrying a dead letter of reactor "fragile-mailer" runs its handler, and no config module lists reactors.',
    );
    expect(stillBroken.code).toBe(1);
    expect(stillBroken.stdout).toContain("0 of 1 dead letter retried");
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)).toEqual({
      kind: "reactor",
      reactor: "fragile-mailer",
      results: [{ id: bob.id, ok: true }],
    });
    expect(readFileSync(join(mailbox, "sent"), "utf8")).toBe(`${bob.eventId}\n`);
    expect((await createReactorDeadLetters(fragileMailer, { redis, prefix }).list()).length).toBe(
      1,
    );
  });

  it("discards a dead letter without running the handler", async () => {
    // Given alice's dead letter
    const alice = await letterOf("alice");
    // When it is discarded, then shown and the dead letters listed
    const discarded = await cli("dlq", "discard", "fragile-mailer", alice.id, "--yes");
    const again = await cli("dlq", "show", "fragile-mailer", alice.id);
    const empty = await cli("dlq", "list", "fragile-mailer");

    // Then it is gone, and nothing is left
    expect(discarded.code).toBe(0);
    expect(discarded.stdout).toContain('Discarded 1 dead letter of reactor "fragile-mailer".');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain(`reactor "fragile-mailer" has no dead letter "${alice.id}"`);
    expect(empty.stdout).toContain('Reactor "fragile-mailer" has no dead letters.');
    expect(await redis.xlen(reactorKeys(prefix, "fragile-mailer").deadLetters)).toBe(0);
  });
});

describe("a projection and a reactor of the same name", () => {
  it("reports both in status, and dlq asks which one unless --reactor or --build says", async () => {
    // Given a reactor named like the bank example's projection "balances", with dead letters
    const namesake = defineReactor(accountEvents, {
      name: "balances",
      source: ["account"],
      handlers: fragileMailer.handlers,
    });
    const running = startReactor(namesake, {
      redis,
      prefix,
      startFrom: "beginning",
      maxDeliveries: 1,
      blockMs: 200,
      logger: silentLogger,
    });
    try {
      await until(
        async () => (await running.deadLetters.list()).length === 2,
        "the namesake reactor's dead letters",
      );
      // When its status and dead letters are asked for by the shared name
      const status = await cli("projections", "status", "balances", "--json");
      const ambiguous = await cli("dlq", "list", "balances");
      const asReactor = await cli("dlq", "list", "balances", "--reactor", "--json");
      const asProjection = await cli("dlq", "list", "balances", "--build", "v1");

      // Then status has both kinds, and dlq acts on the one named by --reactor or --build
      expect(
        (JSON.parse(status.stdout) as { projections: { kind: string }[] }).projections.map(
          (entry) => entry.kind,
        ),
      ).toEqual(["projection", "reactor"]);
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.stderr).toContain(
        `[streamstore] "balances" is both a projection and a reactor under prefix "${prefix}": pass --reactor`,
      );
      const listed = JSON.parse(asReactor.stdout) as { kind: string; deadLetters: unknown[] };
      expect([listed.kind, listed.deadLetters.length]).toEqual(["reactor", 2]);
      expect(asProjection.stdout).toContain('Projection "balances" build v1 has no dead letters.');
    } finally {
      await running.stop();
    }
  });
});
