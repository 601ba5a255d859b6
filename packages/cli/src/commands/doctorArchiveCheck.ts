import { ARCHIVE_SCHEMA_VERSION } from "@streamstore/archive";
import {
  isArchiveSchemaError,
  isArchiveUnavailableError,
  isStreamstoreError,
} from "@streamstore/core";
import { keyLayout, readCategoryRegistry, registryPartitions } from "@streamstore/core/internal";
import { readSeams } from "../archive/partitionTiers.js";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";

// What `streamstore doctor` checks of the archive: reachable, and with the schema it expects.

/**
 * What `streamstore doctor` found about the archive (the cold tier): `fail` when one was given
 * and cannot be used (unreachable, refused login, tables of another archive schema version), with
 * the typed error's message; `ok` when it answered or none was given; `warn` when none was given
 * but Redis says events were archived.
 *
 * @example
 * const check: ArchiveCheck = { target: "postgres://app:***@db:5432/events", status: "ok", value: "reachable, archive schema version 1", reason: "..." };
 */
export interface ArchiveCheck {
  /** The archive's URL (password masked), "the config's archive", or null when none was given. */
  target: string | null;
  status: "ok" | "warn" | "fail";
  value: string;
  reason: string;
  fix?: string;
  /** The typed error's code when the archive failed (`ARCHIVE_UNAVAILABLE`, `ARCHIVE_SCHEMA`). */
  code?: string;
}

/**
 * Checks the archive given to the CLI by asking it one cheap question (the last archived position
 * of a category partition: a connection, the tables' schema version, one indexed query).
 */
export async function checkArchive(context: CommandContext, prefix: string): Promise<ArchiveCheck> {
  const archive = await context.archive();
  const target = (await context.archiveForDisplay()) ?? null;
  const categories = async () => {
    const redis = await context.redis();
    const keys = keyLayout(prefix);
    // Counts checked as read (a hand-written one is left out: `categories` reports it).
    const partitions = registryPartitions(await readCategoryRegistry(redis, keys));
    return { redis, keys, partitions };
  };
  if (!archive) {
    // Redis's seams say whether this prefix has archived events that nobody can check here.
    const archived = await categories()
      .then(async ({ redis, keys, partitions }) =>
        (await readSeams(redis, keys, partitions)).reduce((sum, seam) => sum + seam.events, 0),
      )
      .catch(() => 0);
    if (archived > 0) {
      return {
        target,
        status: "warn",
        value: "not given",
        reason: `${archived} events of prefix "${prefix}" were archived (moved out of Redis by the archiver), and no archive was given to check`,
        fix: HOW_TO_GIVE_AN_ARCHIVE,
      };
    }
    return {
      target,
      status: "ok",
      value: "not configured",
      reason:
        "no archive was given (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive), and no event of this prefix was archived: every event is in Redis",
    };
  }
  const [first] = await categories()
    .then(({ partitions }) => partitions)
    .catch(() => []);
  try {
    await archive.lastPosition(first?.category ?? "streamstore", 0);
  } catch (error) {
    if (!isStreamstoreError(error)) throw error;
    return {
      target,
      status: "fail",
      value: isArchiveUnavailableError(error)
        ? "unavailable"
        : isArchiveSchemaError(error)
          ? "unusable tables"
          : error.code,
      reason: context.redact(error.message),
      code: error.code,
      fix: isArchiveUnavailableError(error)
        ? "check that PostgreSQL runs and accepts this connection (host, port, database, user and password of --archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive)"
        : "see the message: the archive's tables were made by another release or belong to something else",
    };
  }
  return {
    target,
    status: "ok",
    value: target?.startsWith("postgres")
      ? `reachable, archive schema version ${ARCHIVE_SCHEMA_VERSION}`
      : "reachable",
    reason: target?.startsWith("postgres")
      ? "it answered, with tables this @streamstore/archive reads and writes"
      : "it answered",
  };
}
