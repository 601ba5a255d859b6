import { type Command, Option } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import { type ArchiveRunOptions, runArchiver } from "./archiveRun.js";
import { archiveStatus } from "./archiveStatus.js";
import { durationOption, integerOption, withExamples } from "./shared.js";

export type { ArchiveRunProgress } from "./archiveRun.js";
export type { ArchivePartitionStatus } from "./archiveStatus.js";

/**
 * Registers `streamstore archive run` and `streamstore archive status`.
 *
 * @example
 * registerArchive(program, runAction);
 */
export function registerArchive(program: Command, runAction: ActionRunner): void {
  const archive = program
    .command("archive")
    .description(
      "Move old events from Redis to the archive (PostgreSQL) and see what is where: run, status.",
    );
  withExamples(
    archive
      .command("run")
      .description(
        "Run the archiver (startArchiver of @streamstore/archive) here: it copies each category partition's events beyond the policy to the archive and trims them from Redis once the archive has committed them, one partition at a time under a lease (other archivers share the work). Policies come from the flags or the config's `archiver`. Runs until Ctrl-C (exit code 130 once stopped cleanly, leases released), or with --until-idle until nothing is left to archive (exit code 0). Needs an archive (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive): exit code 2 without one.",
      )
      .addOption(
        new Option(
          "--keep-events <n>",
          "keep at least each partition's n newest events in Redis",
        ).argParser(integerOption("--keep-events", 0)),
      )
      .addOption(
        new Option(
          "--keep <duration>",
          "keep events younger than this in Redis (7d, 12h, 30m, …); with --keep-events both hold",
        ).argParser(durationOption("--keep")),
      )
      .addOption(
        new Option(
          "--category <name>",
          "only this category (repeat for several; default: every category with a policy)",
        ).argParser((value: string, previous: string[] | undefined) => [
          ...(previous ?? []),
          value,
        ]),
      )
      .addOption(
        new Option(
          "--min-age <duration>",
          "never archive an event younger than this, whatever the policy (default: the config's minAgeMs, else 10m; at least 1s)",
        ).argParser(durationOption("--min-age")),
      )
      .option("--until-idle", "stop (exit code 0) once nothing is left to archive")
      .addOption(
        new Option("--interval <ms>", "progress refresh interval, ms")
          .argParser(integerOption("--interval", 50))
          .default(500),
      ),
    [
      "streamstore archive run --keep 7d --archive-url postgres://archiver:secret@db:5432/events",
      "streamstore archive run --keep-events 100000 --category order --until-idle",
      "streamstore archive run --until-idle --json 2>progress.ndjson   # policies from the config",
    ],
  ).action(runAction((context, options: ArchiveRunOptions) => runArchiver(context, options)));

  withExamples(
    archive
      .command("status")
      .description(
        "Per category partition: the events still in Redis (XLEN) and their memory (MEMORY USAGE of the log), the events archived (the seam Redis keeps: count, position and time), what the archive holds (events and bytes, archive.stats()) and which archiver holds the partition's lease. Without an archive, Redis's side only.",
      ),
    [
      "streamstore archive status --archive-url postgres://reader:secret@db:5432/events",
      "streamstore archive status --json | jq '.partitions[] | {category, hotEntries, archiveEvents}'",
    ],
  ).action(runAction((context) => archiveStatus(context)));
}
