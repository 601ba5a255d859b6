import {
  connectRedis,
  defineEvents,
  getRedisEventStore,
  isInvalidRedisUrlError,
  isRedisAuthError,
  isRedisUnavailableError,
} from "@streamstore/core";
import {
  getFreePort,
  type RedisServerHandle,
  recordingLogger,
  startRedisServer,
} from "@streamstore/testing";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) await server.stop();
});

/** What connectRedis throws, and how long it took. */
async function failure(run: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = performance.now();
  try {
    const client = await run();
    clients.push(client as Redis);
  } catch (error) {
    return { error: error as Error, ms: performance.now() - started };
  }
  throw new Error("expected connectRedis to fail");
}

/** Polls `condition` until it holds, or fails after `timeoutMs`. */
async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("connectRedis", () => {
  it("fails within its bound with RedisUnavailableError and a masked URL when nothing listens, printing nothing", async () => {
    // Given a URL with a password on a port nobody listens on, and an eye on the console
    const url = `redis://app:hunter2x@127.0.0.1:${await getFreePort()}/0`;
    const consoleError = vi.spyOn(console, "error");

    // When connecting with a 1.5 s bound
    const { error, ms } = await failure(() => connectRedis(url, { connectTimeoutMs: 1500 }));

    // Then it fails within the bound (plus scheduling slack), typed, the password masked
    expect(ms).toBeLessThan(1500 + 500);
    expect(isRedisUnavailableError(error)).toBe(true);
    expect(error.message).toMatch(
      /^\[streamstore\] cannot reach Redis at redis:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/0 within \d+ ms \(connect ECONNREFUSED/,
    );
    expect(error.message).toContain('"Connecting to Redis" in the @streamstore/core README');
    expect(error.message).not.toContain("hunter2x");
    // And no "[ioredis] Unhandled error event" line
    expect(consoleError).not.toHaveBeenCalled();
  });

  it("refuses a URL that is not a Redis URL before connecting, never echoing its password", async () => {
    // Given URLs that ioredis misreads or crashes on
    // When connecting to each
    const http = await failure(() => connectRedis("http://127.0.0.1:6379"));
    const noScheme = await failure(() => connectRedis("app:hunter2x@127.0.0.1:6379"));
    const bigPort = await failure(() => connectRedis("redis://127.0.0.1:76000"));

    // Then each is an InvalidRedisUrlError at once
    for (const { error, ms } of [http, noScheme, bigPort]) {
      expect(isInvalidRedisUrlError(error)).toBe(true);
      expect(ms).toBeLessThan(100);
    }
    expect(http.error.message).toContain("scheme http://");
    expect(noScheme.error.message).toContain("has no scheme: write redis://app:***@127.0.0.1:6379");
    expect(noScheme.error.message).not.toContain("hunter2x");
    expect(bigPort.error.message).toContain('port "76000"');
  });

  it("tells a wrong or missing password (RedisAuthError) from an unreachable server, at once", async () => {
    // Given a private server that requires a password
    const server = await startRedisServer({ args: ["--requirepass", "right-pass"] });
    servers.push(server);
    const at = `127.0.0.1:${server.port}`;

    // When connecting with a wrong password, without one, and with the right one
    const wrong = await failure(() =>
      connectRedis(`redis://:hunter2x@${at}`, { connectTimeoutMs: 5000 }),
    );
    const missing = await failure(() => connectRedis(`redis://${at}`, { connectTimeoutMs: 5000 }));
    const right = await connectRedis(`redis://:right-pass@${at}`);
    clients.push(right);

    // Then the refusals are auth errors, reported well before the bound, password masked
    expect(isRedisAuthError(wrong.error)).toBe(true);
    expect(wrong.ms).toBeLessThan(2000);
    expect(wrong.error.message).toMatch(
      new RegExp(
        `^\\[streamstore\\] Redis at redis://:\\*\\*\\*@${at}/0 refused the credentials \\(WRONGPASS`,
      ),
    );
    expect(wrong.error.message).not.toContain("hunter2x");
    expect(isRedisAuthError(missing.error)).toBe(true);
    expect(missing.error.message).toContain("NOAUTH");
    // And the right password gives a ready client
    expect(await right.ping()).toBe("PONG");
  });

  it("makes the event store fail fast with RedisUnavailableError while Redis is down, logs it once, and works again once it is back", async () => {
    // Given a store on a connectRedis client of a private server, with a recording logger
    let server = await startRedisServer();
    servers.push(server);
    const logger = recordingLogger();
    const redis = await connectRedis(server.url, {
      logger,
      connectTimeoutMs: 1000,
      retryDelayMaxMs: 200,
    });
    clients.push(redis);
    const store = getRedisEventStore({ redis, events, prefix: "conn", serverCheck: "off" });
    await store.append("note-1", [{ type: "Noted", data: { n: 1 } }]);
    const consoleError = vi.spyOn(console, "error");

    // When the server dies and the store is used
    server.process.kill("SIGKILL");
    await new Promise((resolve) => server.process.once("exit", resolve));
    const started = performance.now();
    const down = await store.append("note-1", [{ type: "Noted", data: { n: 2 } }]).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const ms = performance.now() - started;
    const readDown = await store.version("note-1").then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    // Then the append fails within the bound (2 attempts of <= 200 ms backoff, refused at once)
    expect(isRedisUnavailableError(down)).toBe(true);
    expect(ms).toBeLessThan(2000);
    expect(down?.message).toContain(`cannot reach Redis at redis://127.0.0.1:${server.port}/0`);
    expect(isRedisUnavailableError(readDown)).toBe(true);
    // And the loss is logged as a [streamstore] warning, once, with no ioredis line
    const lost = logger.records.filter((record) => record.message.includes("lost the connection"));
    expect(lost).toHaveLength(1);
    expect(lost[0]?.level).toBe("warn");
    expect(consoleError).not.toHaveBeenCalled();

    // When the server comes back on the same port
    server = await startRedisServer({ port: server.port });
    servers.push(server);
    await eventually(() => redis.status === "ready");

    // Then the same store appends again, and the recovery was logged
    const result = await store.append("note-2", [{ type: "Noted", data: { n: 3 } }]);
    expect(result.nextExpectedVersion).toBe(1);
    expect(logger.records.some((record) => record.message.includes("reconnected"))).toBe(true);
  });
});
