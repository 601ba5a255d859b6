import {
  aclRuleFor,
  coreFunctionLibrary,
  INDEX_RECORD_BYTES,
  silentLogger,
} from "@streamstore/core";
import { keyLayout } from "@streamstore/core/internal";
import { projectionKeys } from "@streamstore/projections/internal";
import { until } from "@streamstore/testing/internal";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fragileBalances } from "./fixtures/fragileBalances.js";
import { catchUp } from "./support/catchUp.js";
import {
  type CliRun,
  CONFIG,
  deleteKeysUnder,
  finished,
  randomPrefix,
  runCli,
  startCli,
} from "./support/cli.js";
import { type SeededBank, seedBankExample } from "./support/seedBankExample.js";

// Issue 7: the runtime ACL rule lacks what the CLI sends to inspect (XREAD for tail, MEMORY USAGE
// for categories, ...). Users made from aclRuleFor(prefix, { role }) on the run's private Redis
// run every CLI command as the real binary: "operator" all of them, "operator-readonly" all but
// the writing ones, and the runtime user's `tail` fails with a message naming what is missing.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("acl");
const fragileKeys = projectionKeys(prefix, "fragile-balances");
const users = {
  runtime: `cli-runtime-${prefix}`,
  operator: `cli-operator-${prefix}`,
  readonly: `cli-readonly-${prefix}`,
  // the runtime rule with XREAD taken out by hand: a command the CLI needs and the user lacks
  withoutXread: `cli-noxread-${prefix}`,
};
let redis: SeededBank["redis"];
let store: SeededBank["store"];

function urlAs(user: string): string {
  const url = new URL(redisUrl);
  url.username = user;
  url.password = "s3cret";
  return url.toString();
}

const cliAs = (user: string, ...args: string[]) =>
  runCli([...args, "--prefix", prefix, "--config", CONFIG], { REDIS_URL: urlAs(user) });

async function deadLetterIds(): Promise<string[]> {
  return (await redis.xrange(fragileKeys.deadLetters("v1"), "-", "+")).map(([id]) => id);
}

/** `tail account --json` as `user`: waits for its start, appends one event, waits for its line, stops it. */
async function tailAs(user: string): Promise<{ run: CliRun; lines: { type: string }[] }> {
  const child = startCli(["tail", "account", "--json", "--prefix", prefix, "--config", CONFIG], {
    REDIS_URL: urlAs(user),
  });
  const run = finished(child);
  let lines = 0;
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    lines += chunk.toString().split("\n").length - 1;
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // `tail` follows from "now": its "Tailing category" note says its start positions are taken, so
  // one event appended after it must be printed (or it has exited, e.g. refused by Redis).
  try {
    await until(
      () => stderr.includes("Tailing category") || child.exitCode !== null,
      `tail as ${user} to take its start`,
      60_000,
    );
    if (child.exitCode === null) {
      await store.append("account-tailed", [{ type: "Deposited", data: { amount: 1 } }]);
      await until(() => lines > 0 || child.exitCode !== null, `tail as ${user} to print the event`);
    }
  } finally {
    if (child.exitCode === null) child.kill("SIGINT");
  }
  const result = await run;
  return {
    run: result,
    lines: result.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { type: string }),
  };
}

beforeAll(async () => {
  // Two poison deposits: fragile-balances dead-letters both (the dlq commands' material).
  ({ redis, store } = await seedBankExample({
    redisUrl,
    prefix,
    poison: ["account-bob", "account-alice"],
  }));
  await catchUp(
    fragileBalances,
    { redis, prefix, logger: silentLogger, maxDeliveries: 1, blockMs: 300 },
    20_000,
  );
  await redis.call("ACL", "SETUSER", users.runtime, "on", ">s3cret", ...aclRuleFor(prefix));
  await redis.call(
    "ACL",
    "SETUSER",
    users.withoutXread,
    "on",
    ">s3cret",
    ...aclRuleFor(prefix).filter((rule) => rule !== "+xread"),
  );
  await redis.call(
    "ACL",
    "SETUSER",
    users.operator,
    "on",
    ">s3cret",
    ...aclRuleFor(prefix, { role: "operator" }),
  );
  await redis.call(
    "ACL",
    "SETUSER",
    users.readonly,
    "on",
    ">s3cret",
    ...aclRuleFor(prefix, { role: "operator-readonly" }),
  );
}, 60_000);

afterAll(async () => {
  for (const user of Object.values(users)) await redis.call("ACL", "DELUSER", user);
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

describe("aclRuleFor", () => {
  it("keeps the runtime rule as it was, and gives the operator roles the CLI's inspection commands and the readonly one no write", () => {
    // Given the three roles of one prefix
    const runtime = aclRuleFor("shop");
    const operator = aclRuleFor("shop", { role: "operator" });
    const readonly = aclRuleFor("shop", { role: "operator-readonly" });

    // Then the default is the runtime rule, the operator one adds exactly the inspection commands
    expect(aclRuleFor("shop", { role: "runtime" })).toEqual(runtime);
    expect(operator.filter((rule) => !runtime.includes(rule))).toEqual([
      "+memory|usage",
      "+cluster|nodes",
      "+acl|whoami",
    ]);
    expect(runtime.filter((rule) => !operator.includes(rule))).toEqual([]);
    // And the read-only one has no write, no writing script and no WAIT, and no CONFIG in any role
    for (const write of ["+xadd", "+xdel", "+set", "+hset", "+del", "+append", "+fcall", "+wait"]) {
      expect(readonly).not.toContain(write);
    }
    // (aggregates are read through their index with read-only functions, FCALL_RO, and larger
    // pages' entries with XREAD)
    for (const read of ["+xread", "+fcall_ro", "+strlen", "+getrange"]) {
      expect(readonly).toContain(read);
    }
    // And no role runs Lua of its own
    for (const rule of ["+eval", "+evalsha", "+eval_ro", "+evalsha_ro", "+script", "+function"]) {
      expect([...runtime, ...operator, ...readonly]).not.toContain(rule);
    }
    expect([...runtime, ...operator, ...readonly].some((rule) => rule.includes("config"))).toBe(
      false,
    );
    expect(() => aclRuleFor("shop", { role: "admin" as "operator" })).toThrow(
      /\[streamstore\] invalid role/,
    );
  });
});

describe("streamstore as an operator ACL user", () => {
  it('runs every command as a user made from aclRuleFor(prefix, { role: "operator" }), tail, memory, rebuild and dead-letter repair included', async () => {
    // Given a user with the operator rule and two dead letters of fragile-balances
    const [first, second] = await deadLetterIds();
    expect(second).toBeDefined();

    // When each command runs as that user
    const streams = await cliAs(users.operator, "streams", "--json");
    const show = await cliAs(users.operator, "stream", "show", "account-alice", "--json");
    const categories = await cliAs(users.operator, "categories", "--json");
    const tail = await tailAs(users.operator);
    const status = await cliAs(users.operator, "projections", "status", "--json");
    const list = await cliAs(users.operator, "dlq", "list", "fragile-balances", "--json");
    const doctor = await cliAs(users.operator, "doctor", "--json");
    const retried = await runCli(
      ["dlq", "retry", "fragile-balances", first ?? "", "--prefix", prefix, "--config", CONFIG],
      { REDIS_URL: urlAs(users.operator), STREAMSTORE_TEST_HEALED: "1" },
    );
    const discarded = await cliAs(
      users.operator,
      "dlq",
      "discard",
      "fragile-balances",
      second ?? "",
      "--yes",
    );
    const rebuilt = await cliAs(users.operator, "projections", "rebuild", "balances", "--yes");

    // Then every one succeeds: streams and events read, memory shown, the tail got the append
    for (const run of [streams, show, categories, tail.run, status, list, retried]) {
      expect(run.stderr).not.toContain("NOPERM");
      expect(run.code).toBe(0);
    }
    // (doctor exits 3: the run's private Redis keeps nothing on disk, which it reports)
    expect(doctor.stderr).not.toContain("NOPERM");
    expect(doctor.code).toBe(3);
    expect((JSON.parse(streams.stdout) as { total: number }).total).toBeGreaterThanOrEqual(2);
    expect((JSON.parse(show.stdout) as { events: unknown[] }).events.length).toBeGreaterThan(2);
    const logs = (JSON.parse(categories.stdout) as { logs: { memoryBytes: number | null }[] }).logs;
    expect(logs[0]?.memoryBytes).toBeGreaterThan(0);
    expect(categories.stderr).not.toContain("MEMORY USAGE is not allowed");
    expect(tail.lines.map((line) => line.type)).toContain("Deposited");
    expect(
      (JSON.parse(status.stdout) as { projections: { projection: string }[] }).projections.map(
        (entry) => entry.projection,
      ),
    ).toEqual(expect.arrayContaining(["balances", "fragile-balances"]));
    expect((JSON.parse(list.stdout) as { deadLetters: unknown[] }).deadLetters).toHaveLength(2);
    // doctor knows the user, reads the settings from INFO (no CONFIG: appendfsync unknown)
    const report = JSON.parse(doctor.stdout) as {
      user: string;
      checks: { check: string; value: string }[];
      acl: { operator: { rules: string[] } };
    };
    expect(report.user).toBe(users.operator);
    expect(report.checks.find((check) => check.check === "persistence")?.value).toContain(
      "AOF off",
    );
    expect(report.acl.operator.rules).toEqual(aclRuleFor(prefix, { role: "operator" }));
    // And the writes went through: one retried, one discarded, balances rebuilt into v1.1
    expect(retried.stdout).toContain("1 of 1 dead letter retried");
    expect(discarded.code).toBe(0);
    expect(await deadLetterIds()).toEqual([]);
    expect(rebuilt.stderr).not.toContain("NOPERM");
    expect(rebuilt.code).toBe(0);
    expect(await redis.get(projectionKeys(prefix, "balances").active())).toBe("v1.1");
  });

  it('reads everything as a user made from { role: "operator-readonly" }, and is refused a rebuild with the missing permission named', async () => {
    // Given a read-only operator user
    const activeBefore = await redis.get(projectionKeys(prefix, "balances").active());

    // When the reading commands run, and then a rebuild
    const reads = [
      await cliAs(users.readonly, "streams", "--json"),
      await cliAs(users.readonly, "stream", "show", "account-bob", "--json"),
      await cliAs(users.readonly, "categories", "--json"),
      await cliAs(users.readonly, "projections", "status", "--json"),
      await cliAs(users.readonly, "dlq", "list", "fragile-balances", "--json"),
    ];
    const doctor = await cliAs(users.readonly, "doctor", "--json");
    const tail = await tailAs(users.readonly);
    const rebuild = await cliAs(users.readonly, "projections", "rebuild", "balances", "--yes");

    // Then every read succeeds, the tail gets events
    for (const run of [...reads, tail.run]) {
      expect(run.stderr).not.toContain("NOPERM");
      expect(run.code).toBe(0);
    }
    // (stream show read account-bob through its index with FCALL_RO: the example's two events
    // and the poison deposit)
    expect(
      (JSON.parse(reads[1]?.stdout ?? "") as { events: { version: number }[] }).events.map(
        (event) => event.version,
      ),
    ).toEqual([1, 2, 3]);
    expect(tail.lines.length).toBeGreaterThan(0);
    expect(doctor.stderr).not.toContain("NOPERM");
    expect((JSON.parse(doctor.stdout) as { user: string }).user).toBe(users.readonly);
    // And the rebuild ends with exit code 1, naming the refused command and the operator rule
    expect(rebuild.code).toBe(1);
    expect(rebuild.stderr).toMatch(
      /^\[streamstore\] Redis refused the command "[A-Z|]+" to user "cli-readonly-/m,
    );
    expect(rebuild.stderr).toContain('role: "operator"');
    expect(rebuild.stderr).not.toContain("This looks like a bug");
    expect(await redis.get(projectionKeys(prefix, "balances").active())).toBe(activeBefore);
  });
});

describe("the read-only operator's functions", () => {
  it("runs read-only functions, and is refused FCALL, EVAL, EVALSHA and every write from FCALL_RO", async () => {
    // Given connections as the read-only operator and as the operator, and a cached script
    const readonly = new Redis(urlAs(users.readonly));
    const operator = new Redis(urlAs(users.operator));
    const sha = String(await redis.call("SCRIPT", "LOAD", "return 1"));
    const index = keyLayout(prefix).index("account", 0, "bob");
    const log = keyLayout(prefix).log("account", 0);
    const { append, version } = coreFunctionLibrary.functions;
    const appendArgs = [2, index, log, "any", 0, "bob", 1, 3, "evil-1", "Deposited", "{}"];
    const outcome = (command: Promise<unknown>) =>
      command.then(
        (reply) => reply,
        (error: Error) => error.message,
      );
    try {
      // When the read-only operator reads with FCALL_RO, then tries to write each way, and the
      // operator (who may append) tries it with FCALL_RO
      const read = await outcome(readonly.call("FCALL_RO", version.name, 1, index));
      const fcallWrite = await outcome(readonly.call("FCALL", append.name, ...appendArgs));
      const evalWrite = await outcome(readonly.call("EVAL", "return 1", 0));
      const evalshaWrite = await outcome(readonly.call("EVALSHA", sha, 0));
      const readonlyRoWrite = await outcome(readonly.call("FCALL_RO", append.name, ...appendArgs));
      const operatorRoWrite = await outcome(operator.call("FCALL_RO", append.name, ...appendArgs));

      // Then the read answers account-bob's three versions; FCALL, EVAL and EVALSHA are not its
      // commands; and Redis refuses the append function from FCALL_RO, whoever runs it. The
      // index is unchanged.
      expect((read as unknown[])[0]).toBe(3);
      expect(fcallWrite).toMatch(/^NOPERM .*'fcall'/);
      expect(evalWrite).toMatch(/^NOPERM .*'eval'/);
      expect(evalshaWrite).toMatch(/^NOPERM .*'evalsha'/);
      expect(readonlyRoWrite).toMatch(
        /Can not execute a script with write flag using \*_ro command/,
      );
      expect(operatorRoWrite).toMatch(
        /Can not execute a script with write flag using \*_ro command/,
      );
      expect(await redis.strlen(index)).toBe(3 * INDEX_RECORD_BYTES);
    } finally {
      readonly.disconnect();
      operator.disconnect();
    }
  });
});

describe("streamstore tail", () => {
  it("fails with exit code 1 as a user whose rule lacks a command it sends, naming it and pointing to the operator rule", async () => {
    // Given a user made from the runtime rule with XREAD taken out, and the application's user
    // (aclRuleFor(prefix) with no role)
    // When the first tails a category, and the second lists categories
    const tail = await cliAs(users.withoutXread, "tail", "account");
    const categories = await cliAs(users.runtime, "categories");

    // Then tail stops at once with a [streamstore] message instead of a stack
    expect(tail.code).toBe(1);
    expect(tail.stderr).toContain(
      `[streamstore] Redis refused the command "XREAD" to user "${users.withoutXread}"`,
    );
    expect(tail.stderr).toContain(`streamstore doctor --prefix ${prefix}`);
    expect(tail.stderr).toContain('aclRuleFor(prefix, { role: "operator" })');
    expect(tail.stderr).not.toContain("This looks like a bug");
    // And categories still works, showing "-" for memory with the same pointer
    expect(categories.code).toBe(0);
    expect(categories.stderr).toContain("MEMORY USAGE is not allowed to this Redis user");
    expect(categories.stderr).toContain("the operator ACL rule allows it");
  });
});
