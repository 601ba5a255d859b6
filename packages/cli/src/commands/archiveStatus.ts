import {
  checkLayout,
  keyLayout,
  readCategoryRegistry,
  registryPartitions,
} from "@streamstore/core/internal";
import {
  type ArchiveFigures,
  archiveFigures,
  leaseHolderOf,
  type PartitionTiers,
  partitionKey,
  readSeams,
} from "../archive/partitionTiers.js";
import { type CommandContext, HOW_TO_GIVE_AN_ARCHIVE } from "../context/CommandContext.js";
import { EXIT_CODES } from "../exitCodes.js";
import { formatBytes } from "./shared.js";

// `streamstore archive status`: what Redis holds, where the seam is, what the archive holds.

/**
 * One category partition as `streamstore archive status` reports it: what Redis holds (hot),
 * where the seam is, what the archive holds, and who archives it.
 *
 * @example
 * const row: ArchivePartitionStatus = { category: "account", partition: 0, log: "ss:{account:0}:log", hotEntries: 50, hotBytes: 9120, archivedEvents: 1200, seamPosition: "1795641141263-0", seamAt: "2026-11-25T21:12:21.263Z", archiveEvents: 1200, archiveBytes: 301200, archiveLastPosition: "1795641141263-0", lease: null };
 */
export interface ArchivePartitionStatus extends PartitionTiers {
  /** The partition log's key. */
  log: string;
  /** The highest position the archive holds; null without an archive or when it has none. */
  archiveLastPosition: string | null;
  /** The archiver holding the partition's lease (its worker id), or null. */
  lease: string | null;
}

export async function archiveStatus(context: CommandContext): Promise<number> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  const keys = keyLayout(prefix);
  await checkLayout(redis, keys, false);
  const archive = await context.archive();
  const where = (await context.archiveForDisplay()) ?? null;
  // Counts checked as read: an entry written by hand is reported, the others shown (issue 14).
  const registry = await readCategoryRegistry(redis, keys);
  for (const error of registry.invalid) context.output.note(error.message);
  const figures: Map<string, ArchiveFigures> | undefined = archive
    ? await archiveFigures(archive)
    : undefined;
  const partitions = registryPartitions(registry);
  // Partitions the archive holds and this prefix does not know (another store's, sharing it).
  const known = new Set(
    partitions.map(({ category, partition }) => partitionKey(category, partition)),
  );
  const foreign = [...(figures?.keys() ?? [])].filter((key) => !known.has(key));
  let memoryDenied = false;
  const [seams, redisSide] = await Promise.all([
    readSeams(redis, keys, partitions),
    Promise.all(
      partitions.map(({ category, partition }) => {
        const log = keys.log(category, partition);
        return Promise.all([
          redis.xlen(log),
          redis.call("MEMORY", "USAGE", log).catch(() => {
            memoryDenied = true;
            return null;
          }),
          redis.get(keys.archiver(category, partition)),
        ]);
      }),
    ),
  ]);
  const rows: ArchivePartitionStatus[] = partitions.map(({ category, partition }, index) => {
    const seam = seams[index] as (typeof seams)[number];
    const [hotEntries, memory, lease] = redisSide[index] as [number, unknown, string | null];
    const held = figures?.get(partitionKey(category, partition));
    return {
      category,
      partition,
      log: keys.log(category, partition),
      hotEntries,
      hotBytes: memory === null || memory === undefined ? null : Number(memory),
      archivedEvents: seam.events,
      seamPosition: seam.position,
      seamAt: seam.at,
      archiveEvents: figures ? (held?.events ?? 0) : null,
      archiveBytes: figures ? (held?.bytes ?? 0) : null,
      archiveLastPosition: held?.lastPosition ?? null,
      lease: leaseHolderOf(lease),
    };
  });
  const sum = (pick: (row: ArchivePartitionStatus) => number | null) =>
    rows.some((row) => pick(row) === null)
      ? null
      : rows.reduce((total, row) => total + (pick(row) as number), 0);
  const totals = {
    hotEntries: sum((row) => row.hotEntries),
    hotBytes: sum((row) => row.hotBytes),
    archivedEvents: sum((row) => row.archivedEvents),
    archiveEvents: sum((row) => row.archiveEvents),
    archiveBytes: sum((row) => row.archiveBytes),
  };
  const { output } = context;
  output.data(
    {
      prefix,
      archive: where,
      partitions: rows,
      totals,
      otherPartitionsInArchive: foreign.map((key) => key.replace("\n", ":")),
    },
    () => {
      if (rows.length === 0) {
        output.line(
          `No categories under prefix "${prefix}". Check --prefix (or the config's prefix).`,
        );
      } else {
        output.line(
          `${output.colors.bold("streamstore archive status")}  prefix "${prefix}"  archive ${where ?? "not given"}`,
        );
        output.table(
          [
            "category",
            "partition",
            "hot events",
            "hot memory",
            "archived",
            "in archive",
            "archive size",
            "seam",
            "archiver",
          ],
          rows.map((row) => [
            row.category,
            row.partition,
            row.hotEntries,
            row.hotBytes === null ? "-" : formatBytes(row.hotBytes),
            row.archivedEvents,
            row.archiveEvents ?? "-",
            row.archiveBytes === null ? "-" : formatBytes(row.archiveBytes),
            row.seamPosition ? `${row.seamPosition}${output.lineBreak}${row.seamAt ?? ""}` : "-",
            row.lease ?? "-",
          ]),
        );
      }
      if (!archive) {
        output.note(
          `The archive was not given, so only Redis's side is shown ("archived": what the seam counts as moved out of Redis). To see the archive's figures, ${HOW_TO_GIVE_AN_ARCHIVE}.`,
        );
      }
      if (foreign.length > 0) {
        output.note(
          `The archive also holds ${foreign.length} category partition${foreign.length === 1 ? "" : "s"} this prefix does not have (${foreign.map((key) => key.replace("\n", ":")).join(", ")}): another store writes to the same archive table; give each store its own table.`,
        );
      }
      if (memoryDenied) {
        output.note(
          `hot memory: MEMORY USAGE is not allowed to this Redis user; the operator ACL rule allows it (\`streamstore doctor --prefix ${prefix}\` prints it).`,
        );
      }
    },
  );
  return EXIT_CODES.ok;
}
