import { RedisUnavailableError } from "@streamstore/core";
import { getFreePort, type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cliConnectionError, redisHeader, redisSecretsOf } from "../src/context/redisConnection.js";
import { CliError, EXIT_CODES } from "../src/exitCodes.js";
import { finished, randomPrefix, runCli, startCli } from "./support/cli.js";

// Issues 13/14: every connection failure of the CLI is told apart (bad URL 2, unreachable 5,
// refused credentials 6), bounded in time, and never prints a password; the Redis read is named
// on stderr's first line.

const SECRET = "hunter2x";

/** A run's whole output must not hold the password, nor a stack trace. */
function expectClean(run: { stdout: string; stderr: string }): void {
  expect(run.stdout + run.stderr).not.toContain(SECRET);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toContain("[ioredis]");
}

describe("streamstore connecting to Redis", () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer({ args: ["--requirepass", "right-pass"] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a URL that is not a Redis URL with exit code 2, before connecting, never echoing its password", async () => {
    // Given URLs a user may well type
    // When commands run with them
    const http = await runCli(["streams"], { REDIS_URL: "http://127.0.0.1:6379" });
    const noScheme = await runCli(["streams", "--redis-url", `user:${SECRET}@127.0.0.1:6379`]);
    const bigPort = await runCli(["streams"], { REDIS_URL: "redis://127.0.0.1:76000" });

    // Then each says what is wrong and what a Redis URL looks like, with exit code 2
    expect(http.code).toBe(2);
    expect(http.stderr).toContain(
      '[streamstore] REDIS_URL "http://127.0.0.1:6379" has the scheme http://, which is not Redis\'s',
    );
    expect(noScheme.code).toBe(2);
    expect(noScheme.stderr).toContain(
      '[streamstore] --redis-url "user:***@127.0.0.1:6379" has no scheme: write redis://user:***@127.0.0.1:6379',
    );
    expect(bigPort.code).toBe(2);
    expect(bigPort.stderr).toContain('has port "76000": a port is a number from 1 to 65535');
    for (const run of [http, noScheme, bigPort]) {
      expect(run.stderr).toContain("A Redis URL looks like redis://[user:password@]host");
      // (no header: nothing was connected to)
      expect(run.stderr).not.toContain("Redis: ");
      expectClean(run);
    }
  });

  it("reports an unreachable Redis with exit code 5 within its bound, the URL masked", async () => {
    // Given a URL with a password on a port nobody listens on
    const url = `redis://app:${SECRET}@127.0.0.1:${await getFreePort()}`;

    // When a command runs against it (timed from its header, written just before it connects,
    // so that the binary's own start on a busy machine does not count)
    const child = startCli(["streams"], { REDIS_URL: url });
    let headerAt: number | undefined;
    child.stderr?.on("data", (chunk: Buffer) => {
      if (headerAt === undefined && chunk.toString().includes("Redis: "))
        headerAt = performance.now();
    });
    const run = await finished(child);
    const ms = performance.now() - (headerAt ?? Number.NaN);

    // Then it ends with 5 within the 3 s bound (plus exiting), typed and masked
    expect(run.code).toBe(EXIT_CODES.unreachable);
    expect(ms).toBeLessThan(3000 + 1500);
    const masked = url.replace(SECRET, "***");
    expect(run.stderr).toContain(`Redis: ${masked}/0\n`);
    expect(run.stderr).toContain(
      `[streamstore] cannot reach Redis at ${masked}/0 within 3000 ms (connect ECONNREFUSED`,
    );
    expect(run.stderr).toContain("Check --redis-url or REDIS_URL (it came from REDIS_URL)");
    expectClean(run);
  });

  it("reports refused credentials with exit code 6, apart from an unreachable Redis", async () => {
    // Given a server that requires a password
    const at = `127.0.0.1:${server.port}`;

    // When commands run with a wrong password, with none, and with the right one
    const wrong = await runCli(["streams", "--redis-url", `redis://:${SECRET}@${at}`]);
    const missing = await runCli(["streams"], { REDIS_URL: `redis://${at}` });
    const right = await runCli(["streams", "--prefix", randomPrefix()], {
      REDIS_URL: `redis://:right-pass@${at}`,
    });

    // Then the refusals say so with exit code 6, masked; the right password works
    expect(wrong.code).toBe(EXIT_CODES.redisAuth);
    expect(wrong.stderr).toContain(
      `[streamstore] Redis at redis://:***@${at}/0 refused the credentials (WRONGPASS`,
    );
    expect(wrong.stderr).toContain("Check the user and password in --redis-url");
    expectClean(wrong);
    expect(missing.code).toBe(EXIT_CODES.redisAuth);
    expect(missing.stderr).toContain("refused the credentials (NOAUTH");
    expect(right.code, right.stderr).toBe(0);
    expect(right.stderr.split("\n")[0]).toBe(`Redis: redis://:***@${at}/0`);
  });

  it("names the Redis it reads on stderr's first line, and keeps stdout for the data", async () => {
    // Given the run's Redis
    const url = inject("redisUrl");

    // When a command reads it, for people and as JSON
    const text = await runCli(["categories", "--prefix", randomPrefix()], { REDIS_URL: url });
    const json = await runCli(["categories", "--json", "--prefix", randomPrefix()], {
      REDIS_URL: url,
    });

    // Then stderr starts with the Redis it reads, and the JSON on stdout still parses
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr.split("\n")[0]).toBe(`Redis: ${url}/0`);
    expect(json.stderr.split("\n")[0]).toBe(`Redis: ${url}/0`);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stdout).not.toContain("Redis: ");
  });
});

describe("the CLI's connection messages", () => {
  it("says when the default Redis is used, and where a URL came from", () => {
    // Given each source of a URL / Then the header tells them apart
    expect(redisHeader({ url: undefined, from: "default" })).toBe(
      "Redis: redis://127.0.0.1:6379/0 (the default: neither --redis-url nor REDIS_URL is set)",
    );
    expect(redisHeader({ url: `redis://:${SECRET}@cache:6380/2`, from: "REDIS_URL" })).toBe(
      "Redis: redis://:***@cache:6380/2",
    );
    expect(redisHeader({ url: "redis://cache", from: "the config's redisUrl" })).toBe(
      "Redis: redis://cache:6379/0 (from the config's redisUrl)",
    );
    // And an unreachable default says that nothing named a Redis
    const error = cliConnectionError(
      new RedisUnavailableError("redis://127.0.0.1:6379/0", "connect ECONNREFUSED 127.0.0.1:6379"),
      { url: undefined, from: "default" },
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toContain(
      "Neither --redis-url nor REDIS_URL is set: pass the URL of your Redis",
    );
  });

  it("finds the password of a URL with or without a scheme, for redaction", () => {
    expect(redisSecretsOf(`user:${SECRET}@cache:6379`)).toContain(SECRET);
    expect(redisSecretsOf(`redis://:${SECRET}@cache`)).toContain(SECRET);
    expect(redisSecretsOf("redis://s%40x:p%40ss@cache")).toEqual(["p%40ss", "p@ss"]);
    expect(redisSecretsOf("redis://cache:6379")).toEqual([]);
  });
});
