import { archiveFunctionLibrary } from "@streamstore/archive";
import { aclRuleFor, coreFunctionLibrary } from "@streamstore/core";
import { projectionsFunctionLibrary } from "@streamstore/projections";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

// Issue 14: `streamstore functions install|status`, the operator step that loads the toolkit's
// Redis Functions libraries so application users need FCALL and never EVAL. On a private server
// (libraries are global to a server).

const LIBRARIES = [coreFunctionLibrary, projectionsFunctionLibrary, archiveFunctionLibrary].map(
  (library) => library.name,
);
let server: RedisServerHandle;
let admin: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
  await admin.call("ACL", "SETUSER", "app", "on", ">pw", ...aclRuleFor("shop"));
});
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

const asApp = () => {
  const url = new URL(server.url);
  url.username = "app";
  url.password = "pw";
  return url.toString();
};

describe("streamstore functions", () => {
  it("says what is missing, installs every library once, and then reports them current", async () => {
    // Given a server with no library
    const before = await runCli(["functions", "status", "--json"], { REDIS_URL: server.url });
    // When an admin installs them, twice
    const first = await runCli(["functions", "install", "--json"], { REDIS_URL: server.url });
    const second = await runCli(["functions", "install"], { REDIS_URL: server.url });
    const after = await runCli(["functions", "status", "--json"], { REDIS_URL: server.url });
    // Then status first failed naming the three, the install loaded them, the second left them
    expect(before.code).toBe(1);
    expect((JSON.parse(before.stdout) as { missing: string[] }).missing.sort()).toEqual(
      [...LIBRARIES].sort(),
    );
    expect(first.code).toBe(0);
    const installs = (
      JSON.parse(first.stdout) as { installs: { library: string; outcome: string }[] }
    ).installs;
    expect(installs.map((row) => [row.library, row.outcome])).toEqual(
      LIBRARIES.map((library) => [library, "loaded"]),
    );
    expect(second.code).toBe(0);
    expect(second.stdout.match(/already loaded/g)).toHaveLength(3);
    expect(after.code).toBe(0);
    const status = JSON.parse(after.stdout) as {
      libraries: { state: string }[];
      missing: string[];
    };
    expect(status.missing).toEqual([]);
    expect(status.libraries.map((row) => row.state)).toEqual(["current", "current", "current"]);
    const listed = (await admin.call("FUNCTION", "LIST")) as unknown[][];
    expect(listed.map((entry) => entry[1]).sort()).toEqual([...LIBRARIES].sort());
  });

  it("refuses an application user, naming the refused command", async () => {
    // Given the app user made from aclRuleFor / When it tries to install
    const run = await runCli(["functions", "install"], { REDIS_URL: asApp() });
    // Then Redis refused FUNCTION LOAD and the CLI says so
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^\[streamstore\]/m);
    expect(run.stderr).toMatch(/FUNCTION\|LOAD|function\|load/i);
  });
});
