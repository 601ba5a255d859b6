import { aclRuleFor } from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

// Issue 7: `doctor` fails (exit code 3) on settings that lose events, and passes on a server that
// keeps them: each case is a private redis-server started with exactly those settings.

interface DoctorReport {
  ok: boolean;
  checks: { check: string; status: string; value: string; reason: string; fix?: string }[];
  acl: { rules: string[]; command: string };
}

const servers: RedisServerHandle[] = [];
// The persistence an event store wants (doctor's "ok"), so each case varies only the memory policy.
const AOF_ALWAYS = ["--appendonly", "yes", "--appendfsync", "always"];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function doctorOn(args: string[], ...options: string[]) {
  const server = await startRedisServer({ args });
  servers.push(server);
  return runCli(["doctor", "--prefix", "shop", ...options], { REDIS_URL: server.url });
}

describe("streamstore doctor", () => {
  it("fails with exit code 3 on maxmemory-policy allkeys-lru, saying that events can be evicted", async () => {
    // Given a server with AOF always but an evicting policy
    // When doctor runs
    const run = await doctorOn([...AOF_ALWAYS, "--maxmemory-policy", "allkeys-lru"]);
    const json = JSON.parse(
      (await runCli(["doctor", "--json", "--prefix", "shop"], { REDIS_URL: servers[0]?.url ?? "" }))
        .stdout,
    ) as DoctorReport;

    // Then the policy check fails with the fix, persistence is fine
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/FAIL\s+maxmemory-policy\s+allkeys-lru/);
    expect(run.stdout).toContain("Redis may EVICT keys when memory is full");
    expect(run.stdout).toContain("fix: CONFIG SET maxmemory-policy noeviction");
    expect(run.stdout).toContain("1 check failed: this Redis can lose events (exit code 3)");
    expect(json.ok).toBe(false);
    expect(json.checks.find((check) => check.check === "maxmemory-policy")?.status).toBe("fail");
    expect(json.checks.find((check) => check.check === "persistence")?.status).toBe("ok");
  });

  it("fails with exit code 3 when nothing is persisted (no AOF, no RDB save points)", async () => {
    // Given a server that keeps nothing on disk (startRedisServer's defaults)
    // When doctor runs
    const run = await doctorOn([]);

    // Then persistence fails: a restart loses every event
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/FAIL\s+persistence\s+AOF off, RDB off/);
    expect(run.stdout).toContain("a restart loses every event");
  });

  it("warns about appendfsync everysec and RDB-only fails, without failing everysec", async () => {
    // Given AOF everysec, and another server with RDB snapshots only
    const everysec = await doctorOn(["--appendonly", "yes", "--appendfsync", "everysec"], "--json");
    const rdbOnly = await doctorOn(["--save", "60 1"], "--json");

    // Then everysec is a warning (exit 0) and RDB only a failure (exit 3)
    const persistence = (run: { stdout: string }) =>
      (JSON.parse(run.stdout) as DoctorReport).checks.find(
        (check) => check.check === "persistence",
      );
    expect(everysec.code).toBe(0);
    expect(persistence(everysec)).toMatchObject({
      status: "warn",
      value: "AOF on, appendfsync everysec, RDB off",
    });
    expect(persistence(everysec)?.reason).toContain("up to 1 s");
    expect(rdbOnly.code).toBe(3);
    expect(persistence(rdbOnly)).toMatchObject({
      status: "fail",
      value: 'AOF off, RDB save "60 1"',
    });
  });

  it("passes with exit code 0 on AOF always and noeviction, and prints the ACL rules of the prefix ready to paste", async () => {
    // Given a server configured for an event store
    // When doctor runs for prefix "shop"
    const run = await doctorOn([
      ...AOF_ALWAYS,
      "--maxmemory-policy",
      "noeviction",
      "--maxmemory",
      "256mb",
    ]);

    // Then nothing fails and the ACL command carries exactly the toolkit's rules
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok\s+persistence\s+AOF on, appendfsync always, RDB off/);
    expect(run.stdout).toMatch(/ok\s+maxmemory-policy\s+noeviction/);
    expect(run.stdout).toMatch(/ok\s+maxmemory\s+.* of 256\.0 MiB/);
    expect(run.stdout).toContain("Nothing found that could lose events");
    expect(run.stdout).toContain(
      `ACL SETUSER streamstore-shop on >CHANGE-ME ${aclRuleFor("shop").join(" ")}\n`,
    );
  });
});
