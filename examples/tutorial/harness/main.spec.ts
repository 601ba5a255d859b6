import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { deleteKeys } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";

// docs/getting-started.md runs these commands in the tutorial's directory: `tsx src/main.ts` on
// the fake and on a Redis, then `streamstore streams`, `stream show`, `projections status`. Here
// they run from the workspace sources, as child processes that must exit on their own.

const TUTORIAL = fileURLToPath(new URL("..", import.meta.url));
const CLI = fileURLToPath(new URL("../../../packages/cli/src/bin.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point with tsx in the tutorial's directory; fails if it does not exit within 60 s. */
function run(entry: string, args: string[], env: Record<string, string>): Promise<Run> {
  const {
    REDIS_URL: _url,
    KEY_PREFIX: _prefix,
    STREAMSTORE_CONFIG: _config,
    ...inherited
  } = process.env;
  const child = spawn(
    process.execPath,
    ["--conditions=@streamstore/source", "--import", "tsx", entry, ...args],
    {
      cwd: TUTORIAL,
      env: { ...inherited, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${entry} ${args.join(" ")} did not exit within 60 s:\n${stdout}\n${stderr}`),
      );
    }, 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const FIRST_RUN = [
  "Opened account-ada: version 1",
  "Deposited 100: balance 100, version 2",
  "Withdrew 30: balance 70, version 3",
  "  reactor: receipt to account-ada: you withdrew 30",
  "Withdrawing 1000 refused: insufficient funds: balance 70, asked 1000",
  '  account-ada v1 Opened {"owner":"Ada"}',
  '  account-ada v2 Deposited {"amount":100}',
  '  account-ada v3 Withdrawn {"amount":30}',
  'Read model: {"owner":"Ada","balance":70,"movements":2}',
];

describe("the tutorial's main.ts", () => {
  it("runs on the in-memory fake and exits by itself", async () => {
    // Given no REDIS_URL / When main.ts runs
    const result = await run("src/main.ts", [], {});

    // Then it tells every step and exits with 0
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      'Running on the in-memory fake, key prefix "tutorial".',
      ...FIRST_RUN,
    ]);
  });
});

describe("the tutorial on a Redis, then the CLI", () => {
  const redisUrl = inject("redisUrl");
  const prefix = `tutorial${randomBytes(4).toString("hex")}`;
  const env = { REDIS_URL: redisUrl, KEY_PREFIX: prefix };
  const redis = new Redis(redisUrl);
  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  });

  it("keeps the events in Redis, runs again on them, and the CLI shows them", async () => {
    // Given main.ts run twice on the same Redis and prefix
    const first = await run("src/main.ts", [], env);
    const second = await run("src/main.ts", [], env);

    // Then the first run is the fake's story, and the second continues the same account
    expect(first.code).toBe(0);
    expect(first.stdout.trimEnd().split("\n")).toEqual([
      `Running on Redis, key prefix "${prefix}".`,
      ...FIRST_RUN,
      `The events stay in Redis under "${prefix}:": try the CLI on them.`,
    ]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Opened account-ada: version 3"); // opening again appends nothing
    expect(second.stdout).toContain("Withdrew 30: balance 140, version 5");
    expect(second.stdout).toContain('Read model: {"owner":"Ada","balance":140,"movements":4}');

    // When the CLI looks at that Redis from the tutorial's directory (its streamstore.config.ts)
    const streams = await run(CLI, ["streams"], env);
    const show = await run(CLI, ["stream", "show", "account-ada"], env);
    const status = await run(CLI, ["projections", "status"], env);

    // Then it lists the stream, decodes its events with the catalog, and the projection is caught up
    expect(streams.code).toBe(0);
    expect(streams.stdout).toMatch(/account-ada\s+│ 5\s+│/);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("decoded with the config's event catalog");
    expect(show.stdout).toMatch(/│ 1\s+│ Opened\s+│.*│ \{"owner":"Ada"\}/);
    expect(show.stdout).toMatch(/│ 5\s+│ Withdrawn\s+│.*│ \{"amount":30\}/);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/balances\s+build v1 \(active\)/);
    expect(status.stdout).toMatch(/account:0\s+│ stopped\s+│.*│ 5\s+│ 0\s+│/);
  });
});
