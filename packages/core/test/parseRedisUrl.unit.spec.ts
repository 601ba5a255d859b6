import {
  InvalidRedisUrlError,
  isInvalidRedisUrlError,
  isStreamstoreError,
  maskRedisUrl,
  parseRedisUrl,
} from "@streamstore/core";
import { redisFailureKind } from "@streamstore/core/internal";
import { describe, expect, it } from "vitest";

/** The error parseRedisUrl throws for `url` (fails the test when it throws none). */
function refusal(url: string): InvalidRedisUrlError {
  try {
    parseRedisUrl(url);
  } catch (error) {
    if (error instanceof InvalidRedisUrlError) return error;
    throw error;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe("parseRedisUrl", () => {
  it("takes apart redis://, rediss:// and socket URLs, with defaults for port and database", () => {
    // Given URLs of each accepted form
    // When parsing them / Then each part is found, and display masks the password
    expect(parseRedisUrl("redis://127.0.0.1")).toEqual({
      transport: "tcp",
      host: "127.0.0.1",
      port: 6379,
      db: 0,
      display: "redis://127.0.0.1:6379/0",
    });
    expect(parseRedisUrl(" rediss://app:s%40cret@cache.internal:6380/2 \n")).toEqual({
      transport: "tls",
      host: "cache.internal",
      port: 6380,
      db: 2,
      username: "app",
      password: "s@cret",
      display: "rediss://app:***@cache.internal:6380/2",
    });
    expect(parseRedisUrl("redis://:pw@[::1]:7000/")).toMatchObject({
      host: "::1",
      port: 7000,
      password: "pw",
      display: "redis://:***@[::1]:7000/0",
    });
    expect(parseRedisUrl("redis://u:p@ss@host")).toMatchObject({ username: "u", password: "p@ss" });
    expect(parseRedisUrl("unix:///var/run/redis.sock?db=3")).toEqual({
      transport: "socket",
      path: "/var/run/redis.sock",
      db: 3,
      display: "unix:///var/run/redis.sock?db=3",
    });
    expect(parseRedisUrl("redis+unix://:pw@/tmp/r.sock")).toMatchObject({
      transport: "socket",
      path: "/tmp/r.sock",
      password: "pw",
      display: "unix://:***@/tmp/r.sock",
    });
    expect(parseRedisUrl("/tmp/r.sock")).toMatchObject({
      transport: "socket",
      path: "/tmp/r.sock",
    });
  });

  it("refuses other schemes, a missing scheme, bad ports and bad databases with a typed error", () => {
    // Given URLs that ioredis would misread (http:// loops on connect ENOENT) or crash on
    const cases: [string, RegExp][] = [
      ["http://127.0.0.1:6379", /scheme http:\/\/, which is not Redis's/],
      ["127.0.0.1:6379", /has no scheme: write redis:\/\/127\.0\.0\.1:6379/],
      ["redis:/127.0.0.1", /one '\/' after its scheme/],
      ["redis://127.0.0.1:76000", /port "76000": a port is a number from 1 to 65535/],
      ["redis://127.0.0.1:0", /port "0"/],
      ["redis://127.0.0.1:http", /port "http"/],
      ["redis://127.0.0.1:", /port ""/],
      ["redis://127.0.0.1/abc", /database "abc"/],
      ["redis://127.0.0.1/-1", /database "-1"/],
      ["redis://127.0.0.1/1/2", /database "1\/2"/],
      ["redis://127.0.0.1/1?db=2", /two different databases/],
      ["redis://127.0.0.1?family=6", /query parameter "family"/],
      ["redis://:6379", /names no host/],
      ["redis://bad host", /no host name or address/],
      ["unix://", /names no socket path/],
      ["", /is empty/],
    ];
    for (const [url, reason] of cases) {
      // When parsing each
      const error = refusal(url);
      // Then it is a streamstore error that says what is wrong and what a valid URL looks like
      expect(isInvalidRedisUrlError(error), url).toBe(true);
      expect(isStreamstoreError(error, "INVALID_REDIS_URL")).toBe(true);
      expect(error.message, url).toMatch(reason);
      expect(error.message).toMatch(/^\[streamstore\] the Redis URL /);
      expect(error.message).toContain("A Redis URL looks like redis://[user:password@]host");
      expect(error.message).toContain('"Connecting to Redis" in the @streamstore/core README');
    }
  });

  it("never puts the password in a refusal, with or without a scheme", () => {
    // Given refused URLs carrying a password, "hunter2x"
    const urls = [
      "user:hunter2x@cache:6379",
      "http://user:hunter2x@cache:6379",
      "redis://user:hunter2x@cache:76000",
      "redis://user:hunter2x@cache/x",
      "redis://user:hunter2x@cache?password=hunter2x",
      "redis://:hunter2x@cache#frag",
      "redis://user:%E0%A4%A@cache",
    ];
    for (const url of urls) {
      // When each is refused
      const error = refusal(url);
      // Then the message shows the URL with *** instead
      expect(error.message, url).not.toContain("hunter2x");
      expect(error.message, url).not.toContain("%E0%A4%A");
      expect(error.message, url).toContain("***");
      expect(error.url).not.toContain("hunter2x");
    }
  });
});

describe("maskRedisUrl", () => {
  it("masks the password of any text that looks like a URL, and leaves the rest as it is", () => {
    // Given URLs and near-URLs / Then only the password becomes ***
    expect(maskRedisUrl("redis://app:s3cret@cache:6379/0")).toBe("redis://app:***@cache:6379/0");
    expect(maskRedisUrl("rediss://:s3cret@cache")).toBe("rediss://:***@cache");
    expect(maskRedisUrl("app:s3cret@cache:6379")).toBe("app:***@cache:6379");
    expect(maskRedisUrl("redis://a:b@c@cache")).toBe("redis://a:***@cache");
    expect(maskRedisUrl("redis://cache?password=s3cret&db=1")).toBe(
      "redis://cache?password=***&db=1",
    );
    expect(maskRedisUrl("redis://app@cache:6379")).toBe("redis://app@cache:6379");
    expect(maskRedisUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(maskRedisUrl("not a url")).toBe("not a url");
  });
});

describe("redisFailureKind", () => {
  it("tells an auth refusal from an unreachable server and from a command's own error", () => {
    // Given errors as ioredis reports them
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    const maxRetries = Object.assign(new Error("Reached the max retries per request limit"), {
      name: "MaxRetriesPerRequestError",
    });
    // When classifying them / Then
    expect(redisFailureKind(refused)).toBe("unreachable");
    expect(redisFailureKind(maxRetries)).toBe("unreachable");
    expect(redisFailureKind(new Error("Connection is closed."))).toBe("unreachable");
    expect(redisFailureKind(new Error("WRONGPASS invalid username-password pair"))).toBe("auth");
    expect(redisFailureKind(new Error("NOAUTH Authentication required."))).toBe("auth");
    expect(redisFailureKind(new Error("Failed to refresh slots cache.", { cause: refused }))).toBe(
      "unreachable",
    );
    expect(redisFailureKind(new Error("ERR unknown command 'FOO'"))).toBeUndefined();
    expect(redisFailureKind("text")).toBeUndefined();
  });
});
