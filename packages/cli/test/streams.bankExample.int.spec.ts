import { aclRuleFor } from "@streamstore/core";
import { until } from "@streamstore/testing/internal";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONFIG, deleteKeysUnder, randomPrefix, runCli, startCli } from "./support/cli.js";
import { type SeededBank, seedBankExample } from "./support/seedBankExample.js";

// Issue 7: the inspection commands run as the real binary against a Redis seeded by the bank
// example, and print what the example appended (table and --json).

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("bank");
let redis: SeededBank["redis"];
let store: SeededBank["store"];
let summary: SeededBank["summary"];

beforeAll(async () => {
  ({ redis, store, summary } = await seedBankExample({ redisUrl, prefix }));
});

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

const cli = (...args: string[]) => runCli([...args, "--prefix", prefix], { REDIS_URL: redisUrl });

describe("streamstore streams", () => {
  it("lists the example's account streams with their versions, as a table and as JSON", async () => {
    // Given the bank example's run
    // When the streams are listed
    const table = await cli("streams");
    const json = await cli("streams", "--category", "account", "--json");

    // Then both accounts are there at the versions the example reached
    const parsed = JSON.parse(json.stdout) as {
      total: number;
      streams: { stream: string; version: number; lastEventAt: string }[];
    };
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`account-alice\\s+│ ${summary.finalVersion}\\s+│`));
    expect(table.stdout).toContain("2 streams");
    expect(json.code).toBe(0);
    expect(parsed.total).toBe(2);
    expect(parsed.streams.map((stream) => [stream.stream, stream.version])).toEqual([
      ["account-alice", summary.finalVersion],
      ["account-bob", 2],
    ]);
    expect(Date.parse(parsed.streams[0]?.lastEventAt ?? "")).toBeGreaterThan(Date.now() - 600_000);
  });
});

describe("streamstore stream show", () => {
  it("prints a stream's events decoded with the config's catalog, their versions equal to the example's appends", async () => {
    // Given the bank example's account-alice stream
    // When it is shown, as JSON with the config, newest first in a table, and raw without the config
    const json = await cli("stream", "show", "account-alice", "--json", "--config", CONFIG);
    const newest = await cli("stream", "show", "account-alice", "--newest-first", "--limit", "2");
    const paged = await cli(
      "stream",
      "show",
      "account-alice",
      "--from",
      "3",
      "--limit",
      "2",
      "--json",
    );

    // Then every version is there in order, with types, data and times
    const events = (
      JSON.parse(json.stdout) as {
        events: { version: number; type: string; data: unknown; decoded: boolean; time: string }[];
      }
    ).events;
    expect(json.code).toBe(0);
    expect(events.map((event) => event.version)).toEqual(
      Array.from({ length: summary.finalVersion }, (_, index) => index + 1),
    );
    expect(events.slice(0, 2).map((event) => [event.type, event.data, event.decoded])).toEqual([
      ["AccountOpened", { owner: "Alice" }, true],
      ["Deposited", { amount: 200 }, true],
    ]);
    expect(events.slice(2).every((event) => event.type === "Withdrawn")).toBe(true);
    expect(newest.code).toBe(0);
    expect(newest.stdout).toContain("raw JSON (no config event catalog)");
    expect(newest.stdout).toMatch(new RegExp(`│ ${summary.finalVersion}\\s+│ Withdrawn`));
    expect(newest.stdout).toContain(
      `continue with --from ${summary.finalVersion - 2} --newest-first`,
    );
    expect(
      (JSON.parse(paged.stdout) as { events: { version: number }[] }).events.map((e) => e.version),
    ).toEqual([3, 4]);
  });

  it("exits with code 4 and says what to run for a stream that does not exist", async () => {
    // Given no account-carol
    // When it is shown
    const run = await cli("stream", "show", "account-carol");

    // Then the exit code is 4 and the message names the listing command
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('[streamstore] no stream "account-carol"');
    expect(run.stderr).toContain("streamstore streams --category account");
  });
});

describe("streamstore categories", () => {
  it("reports the account category's partition log: length, entries added, memory and the balances consumer group", async () => {
    // Given the bank example's run (its balances runner tailed the log with a consumer group)
    // When categories are listed
    const table = await cli("categories");
    const json = await cli("categories", "--json");

    // Then the log holds every event appended
    const parsed = JSON.parse(json.stdout) as {
      categories: { category: string; partitions: number; entriesAdded: number }[];
      logs: {
        length: number;
        entriesAdded: number;
        memoryBytes: number;
        groups: { name: string }[];
      }[];
    };
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("account");
    expect(table.stdout).toContain("rm:balances:v1");
    expect(parsed.categories).toEqual([
      { category: "account", partitions: 1, entriesAdded: summary.finalVersion + 2 },
    ]);
    expect(parsed.logs[0]?.length).toBe(summary.finalVersion + 2);
    expect(parsed.logs[0]?.memoryBytes).toBeGreaterThan(0);
    expect(parsed.logs[0]?.groups.map((group) => group.name)).toEqual(["rm:balances:v1"]);
  });
});

describe("streamstore tail", () => {
  it("prints events appended while it runs, from every partition, and ends with exit code 0 on Ctrl-C", async () => {
    // Given a tail of the account category, started before the appends
    const child = startCli(["tail", "account", "--json", "--prefix", prefix], {
      REDIS_URL: redisUrl,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    // (it says on stderr when its start positions are taken: the signal, not a clock)
    await until(() => stderr.includes("Tailing category"), "tail to take its start", 60_000);

    // When two deposits are appended, then Ctrl-C once both are printed
    await store.append("account-bob", [{ type: "Deposited", data: { amount: 5 } }]);
    await store.append("account-dave", [{ type: "AccountOpened", data: { owner: "Dave" } }]);
    await until(
      () => stdout.split("\n").filter(Boolean).length >= 2,
      "both events printed",
      30_000,
    );
    child.kill("SIGINT");
    const code = await exited;

    // Then exactly those two events were printed, one JSON object per line
    const lines = stdout
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { stream: string; version: number; type: string; data: unknown },
      );
    expect(code).toBe(0);
    expect(lines.map((line) => [line.stream, line.version, line.type, line.data])).toEqual([
      ["account-bob", 3, "Deposited", { amount: 5 }],
      ["account-dave", 1, "AccountOpened", { owner: "Dave" }],
    ]);
  });
});

describe("streamstore as an ACL user", () => {
  it("reads streams and runs doctor with only the rules aclRuleFor gives the prefix", async () => {
    // Given a user limited to the prefix with the toolkit's rules (created on the run's private server)
    const user = `cli-${prefix}`;
    await redis.call("ACL", "SETUSER", user, "on", ">s3cret", ...aclRuleFor(prefix));
    try {
      const url = new URL(redisUrl);
      url.username = user;
      url.password = "s3cret";

      // When the binary connects as that user
      const streams = await runCli(["streams", "--json", "--prefix", prefix], {
        REDIS_URL: url.toString(),
      });
      const doctor = await runCli(["doctor", "--json", "--prefix", prefix], {
        REDIS_URL: url.toString(),
      });
      const wrong = new URL(url);
      wrong.password = "wrong";
      const refused = await runCli(["streams", "--prefix", prefix], {
        REDIS_URL: wrong.toString(),
      });

      // Then it reads, doctor falls back to INFO (no CONFIG), and a wrong password is exit code 6
      // (refused credentials, told apart from an unreachable Redis since issue 14)
      expect(streams.code).toBe(0);
      expect((JSON.parse(streams.stdout) as { total: number }).total).toBeGreaterThanOrEqual(2);
      const report = JSON.parse(doctor.stdout) as {
        checks: { check: string; status: string; value: string }[];
      };
      expect(report.checks.find((check) => check.check === "persistence")?.value).toContain(
        "AOF off",
      );
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain("refused the credentials (WRONGPASS");
      expect(refused.stderr).toContain(":***@");
    } finally {
      await redis.call("ACL", "DELUSER", user);
    }
  });
});
