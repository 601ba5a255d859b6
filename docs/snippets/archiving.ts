// docs/archiving.md: running the archiver, and reading through the archive.
import { createPostgresArchive, startArchiver } from "@streamstore/archive";
import { getRedisEventStore } from "@streamstore/core";
import { startProjection } from "@streamstore/projections";
import type { Redis } from "ioredis";
import { balances, events } from "./bank.js";

export async function runArchiver(redis: Redis, archiveUrl: string) {
  // #region archiver
  const archive = createPostgresArchive({ connectionString: archiveUrl });
  const archiver = startArchiver({
    redis,
    archive,
    // The last 7 days of every category stay hot; accounts keep at least 100,000 per partition.
    policies: {
      default: { keepMs: 7 * 24 * 3600_000 },
      account: { keepMs: 7 * 24 * 3600_000, keepEvents: 100_000 },
    },
  });
  // The store reads archived versions from the archive; projections read through the store's.
  const store = getRedisEventStore({ redis, events, archive });
  const runner = startProjection(balances, { redis, store });
  process.once("SIGTERM", () => void Promise.all([archiver.stop(), runner.stop()]));
  // #endregion
  return { store, runner };
}
