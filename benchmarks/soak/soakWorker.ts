// One projection worker process of the soak run (benchmarks/soak/runSoak.ts): runs until killed,
// reporting its own RSS once a second on stdout (`rss <bytes>`).
import { silentLogger } from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import { Redis } from "ioredis";
import { accountsProjection } from "../../packages/projections/test/support/fixtures.js";

const redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: null });
const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
const runner = startProjection(accountsProjection(), {
  redis,
  prefix: process.env.STREAMSTORE_PREFIX as string,
  signal: controller.signal,
  batchSize: 200,
  heartbeatMs: 500,
  memberTtlMs: 1500,
  leaseTtlMs: 2000,
  blockMs: 500,
  leaseMarginMs: 200,
  logger: silentLogger,
});
const report = () => process.stdout.write(`rss ${process.memoryUsage().rss}\n`);
report();
const timer = setInterval(report, 1000);
runner.done.then(
  async () => {
    clearInterval(timer);
    await redis.quit();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
