/**
 * Keeps the CLI output shown in docs/operations.md real: every block preceded by
 * `<!-- cli-output: <args> -->` is replaced by what `streamstore <args>` prints against a private
 * redis-server seeded by the bank example, 300 more accounts of 100 events each, and one poison
 * deposit that `fragile-balances` and the reactor `fragile-mailer` dead-letter. `$UNSAFE` in the args names a second server with no persistence and an evicting
 * policy, for `doctor`'s failure output.
 *
 *   pnpm run docs:cli-output
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@streamstore/core";
import {
  getReactorStatus,
  type ProjectionRunner,
  type ReactorRunner,
  startProjection,
  startReactor,
} from "@streamstore/projections";
import { startRedisServer } from "@streamstore/testing";
import type { Redis } from "ioredis";
import { balances } from "../examples/bank-account/src/balances.js";
import { fragileBalances } from "../packages/cli/test/fixtures/fragileBalances.js";
import { fragileMailer } from "../packages/cli/test/fixtures/fragileMailer.js";
import { seedBankExample } from "../packages/cli/test/support/seedBankExample.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const documents = ["docs/operations.md"];
const bin = `${root}packages/cli/dist/bin.js`;
const config = `${root}packages/cli/test/fixtures/streamstore.config.ts`;
const MARKER = /<!-- cli-output: (.+?) -->\n```text\n[\s\S]*?\n?```/g;
const prefix = "bank";

const safe = await startRedisServer({
  args: ["--appendonly", "yes", "--appendfsync", "always", "--maxmemory", "1gb"],
});
const unsafe = await startRedisServer({ args: ["--maxmemory-policy", "allkeys-lru"] });
let redis: Redis | undefined;
const runners: (ProjectionRunner<unknown> | ReactorRunner)[] = [];
try {
  const seeded = await seedBankExample({ redisUrl: safe.url, prefix, poison: ["account-bob"] });
  redis = seeded.redis;
  const store = seeded.store;
  // More history, so that the rebuild below has something to show progress on.
  for (let customer = 0; customer < 300; customer++) {
    await store.append(`account-customer${customer}`, [
      { type: "AccountOpened", data: { owner: `Customer ${customer}` } },
      ...Array.from({ length: 99 }, (_, index) => ({
        type: "Deposited" as const,
        // Never 13: fragile-balances dead-letters those, and the docs show one dead letter.
        data: { amount: 100 + index },
      })),
    ]);
  }
  for (const projection of [balances, fragileBalances] as const) {
    const runner = startProjection(projection as typeof balances, {
      redis,
      prefix,
      logger: silentLogger,
      maxDeliveries: 1,
      workerId: `worker-${projection.name}`,
    });
    runners.push(runner as ProjectionRunner<unknown>);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
  }
  // A reactor beside them, run from this process as another service would: it parks the poison
  // deposit as a dead letter, which `projections status` and `dlq` show.
  const mailer = startReactor(fragileMailer, {
    redis,
    prefix,
    logger: silentLogger,
    startFrom: "beginning",
    maxDeliveries: 1,
    workerId: "worker-fragile-mailer",
  });
  runners.push(mailer);
  for (const deadline = Date.now() + 20_000; ; ) {
    const status = await getReactorStatus(fragileMailer, { redis, prefix });
    if (status.deadLetters === 1 && status.partitions.every((p) => p.lag === 0 && !p.pending))
      break;
    if (Date.now() > deadline)
      throw new Error("the reactor did not dead-letter the poison deposit");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Let the partitions report "live" before status is printed.
  await new Promise((resolve) => setTimeout(resolve, 1500));

  // Asynchronous on purpose: the projection workers run in this process, and a synchronous spawn
  // would stop their heartbeats, so status would show them gone.
  const invoke = (argv: string[]) =>
    new Promise<{ stdout: string; printed: string; status: number }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...argv], {
        cwd: root,
        env: { ...process.env, NO_COLOR: "1", REDIS_URL: safe.url, STREAMSTORE_CONFIG: config },
      });
      // stdout and stderr in the order they arrived, as a terminal shows them.
      let stdout = "";
      let printed = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        printed += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        printed += chunk.toString();
      });
      child.once("error", reject);
      child.once("close", (status) => resolve({ stdout, printed, status: status ?? 1 }));
    });
  const listed = await invoke(["dlq", "list", "fragile-balances", "--prefix", prefix, "--json"]);
  const deadLetter = (JSON.parse(listed.stdout) as { deadLetters: { id: string }[] }).deadLetters[0]
    ?.id;
  if (!deadLetter) throw new Error(`no dead letter to show: ${listed.printed}`);

  const run = async (args: string): Promise<string> => {
    const argv = args
      .replaceAll("$UNSAFE", unsafe.url)
      .replaceAll("$DEAD_LETTER", deadLetter)
      .split(" ")
      .filter((part) => part !== "");
    const result = await invoke(argv);
    const printed = result.printed
      .replaceAll(new URL(safe.url).port, "6379")
      .replaceAll(new URL(unsafe.url).port, "6380")
      .trimEnd();
    const shown = args
      .replaceAll("$UNSAFE", "redis://10.0.0.9:6380")
      .replaceAll("$DEAD_LETTER", deadLetter);
    const exit = result.status === 0 ? "" : `\n(exit code ${result.status})`;
    return `$ streamstore ${shown}\n${printed.replaceAll("127.0.0.1:6380", "10.0.0.9:6380")}${exit}`;
  };

  for (const document of documents) {
    const path = `${root}${document}`;
    const text = await readFile(path, "utf8");
    let updated = text;
    for (const [block, args = ""] of text.matchAll(MARKER)) {
      const output = await run(args);
      updated = updated.replace(
        block,
        () => `<!-- cli-output: ${args} -->\n\`\`\`text\n${output}\n\`\`\``,
      );
    }
    await writeFile(path, updated);
    console.log(`${document}: ${[...text.matchAll(MARKER)].length} outputs refreshed`);
  }
} finally {
  await Promise.all(runners.map((runner) => runner.stop()));
  await redis?.quit();
  await safe.stop();
  await unsafe.stop();
}
