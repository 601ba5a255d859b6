/**
 * An archiver in a process of its own, for the crash test (archive.crash.int.spec.ts), which
 * SIGKILLs it at random moments and starts it again. Run with
 *   node --import tsx --conditions=@streamstore/source packages/archive/test/support/archiverProcess.ts
 * and the environment:
 *   ARCHIVER_REDIS_URL, ARCHIVER_PG_URL, ARCHIVER_PREFIX, ARCHIVER_KEEP_EVENTS, ARCHIVER_BATCH_SIZE.
 * Prints `ready <pid>` once the archiver runs, `idle` each time a whole pass found nothing to do
 * (archiver.waitUntilIdle), and `error <message>` for each failure it logs. SIGTERM stops it.
 */
import { Redis } from "ioredis";
import { startArchiver } from "../../src/archiver/startArchiver.js";
import { createPostgresArchive } from "../../src/createPostgresArchive.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`archiverProcess: set ${name}`);
  return value;
};

const line = (text: string) => process.stdout.write(`${text}\n`);
const redis = new Redis(env("ARCHIVER_REDIS_URL"));
const archive = createPostgresArchive({
  connectionString: env("ARCHIVER_PG_URL"),
  connectTimeoutSeconds: 2,
});
const archiver = startArchiver({
  redis,
  archive,
  prefix: env("ARCHIVER_PREFIX"),
  policies: { default: { keepEvents: Number(env("ARCHIVER_KEEP_EVENTS")) } },
  minAgeMs: 1000,
  batchSize: Number(env("ARCHIVER_BATCH_SIZE")),
  idleMs: 20,
  // The shortest lease: a process started after a SIGKILL waits this long for its partitions.
  leaseMs: 1000,
  workerId: `crash-${process.pid}`,
  logger: {
    debug: () => {},
    info: () => {},
    warn: (_fields, message) => line(`warn ${message.replace(/\s+/g, " ")}`),
    error: (_fields, message) => line(`error ${message.replace(/\s+/g, " ")}`),
  },
});
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
  void archiver
    .stop()
    .then(() => archive.close())
    .finally(() => {
      redis.disconnect();
      line("stopped");
      process.exit(0);
    });
});
line(`ready ${process.pid}`);
while (!stopping) {
  try {
    await archiver.waitUntilIdle({ timeoutMs: 3_600_000 });
    if (!stopping) line("idle");
  } catch {
    // Not idle within the hour: keep waiting.
  }
}
