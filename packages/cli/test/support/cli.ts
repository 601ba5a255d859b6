import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { deleteKeys } from "@streamstore/testing/contract";
import type { Cluster, Redis } from "ioredis";

/** The repository root (the binary runs from there unless a test says otherwise). */
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
/** The built binary under test. */
export const BIN = fileURLToPath(new URL("../../dist/bin.js", import.meta.url));
/** The test config module: the bank example's projections and events. */
export const CONFIG = fileURLToPath(new URL("../fixtures/streamstore.config.ts", import.meta.url));

/** What a run of the binary printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/bin.js <args>` to its end. NO_COLOR keeps the output assertable; REDIS_URL of the
 * test process is never inherited (every test names its Redis).
 *
 * @example
 * const { code, stdout } = await runCli(["streams", "--json"], { REDIS_URL: url });
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = startCli(args, env);
  return finished(child);
}

/**
 * Starts the binary without waiting (for Ctrl-C tests); read its output from `child.stdout`.
 *
 * @example
 * const child = startCli(["tail", "account"], { REDIS_URL: url });
 */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const { REDIS_URL: _ignored, STREAMSTORE_CONFIG: _config, ...inherited } = process.env;
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Collects a started binary's output until it exits.
 *
 * @example
 * const run = await finished(child);
 */
export function finished(child: ChildProcess): Promise<CliRun> {
  // Bytes, decoded once at the end: a pipe chunk may end inside a multi-byte character (a table's
  // "│" is 3 bytes), which decoding chunk by chunk turns into two U+FFFD (it broke one row of
  // boundedReads' 2,500-row tables in one CI run of three).
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
    );
  });
}

/**
 * A random key prefix: every test keeps to its own keys.
 *
 * @example
 * const prefix = randomPrefix("dlq"); // "dlq3f9a0c1e"
 */
export function randomPrefix(base = "cli"): string {
  return `${base}${randomBytes(4).toString("hex")}`;
}

/**
 * Deletes the keys under `prefix` (and nothing else), on every primary when given a Cluster: the
 * contract suites' `deleteKeys`, so one SCAN loop serves every test.
 *
 * @example
 * afterAll(() => deleteKeysUnder(redis, prefix));
 */
export async function deleteKeysUnder(redis: Redis | Cluster, prefix: string): Promise<void> {
  await deleteKeys(redis, `${prefix}:*`);
}

/**
 * Runs an example's `main` so that it leaves its keys under `prefix` (examples/shared/backend.ts).
 *
 * @example
 * await seedWithExample(prefix, () => bankMain({ redisUrl, print: () => {} }));
 */
export async function seedWithExample<Result>(
  prefix: string,
  run: () => Promise<Result>,
): Promise<Result> {
  const before = process.env.STREAMSTORE_EXAMPLE_PREFIX;
  process.env.STREAMSTORE_EXAMPLE_PREFIX = prefix;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env.STREAMSTORE_EXAMPLE_PREFIX;
    else process.env.STREAMSTORE_EXAMPLE_PREFIX = before;
  }
}
