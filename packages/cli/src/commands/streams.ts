import { type Command, Option } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import { integerOption, withExamples } from "./shared.js";
import { showStream } from "./streamShow.js";
import { listStreams } from "./streamsList.js";

export {
  catalogsOf,
  type ShownEvent,
  type ShownStreamEvent,
  showEntry,
} from "./streamShow.js";
export { type ScannedIndexes, type StreamSummary, scanIndexKeys } from "./streamsList.js";

/**
 * Registers `streamstore streams` and `streamstore stream show`.
 *
 * @example
 * registerStreams(program, runAction);
 */
export function registerStreams(program: Command, runAction: ActionRunner): void {
  withExamples(
    program
      .command("streams")
      .description("List aggregate streams with their version and last event time.")
      .option("--category <category>", "only this category's streams")
      .addOption(
        new Option("--limit <n>", "at most n streams (sorted by name)")
          .argParser(integerOption("--limit", 1))
          .default(100),
      ),
    ["streamstore streams --category account --limit 20", "streamstore streams --json"],
  ).action(
    runAction((context, options: { category?: string; limit: number }) =>
      listStreams(context, options),
    ),
  );

  const stream = program.command("stream").description("Inspect one aggregate stream.");
  withExamples(
    stream
      .command("show")
      .argument("<name>", "the stream name, <category>-<id> (e.g. account-alice)")
      .description(
        "Print a stream's events (version, type, time, id, data, metadata): decoded and upcast with the config's event catalog when it has one, raw JSON otherwise. Versions the archiver moved out of Redis are read from the archive (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive); without one they are skipped, and said so. Exit code 4 when the stream does not exist.",
      )
      .addOption(
        new Option("--from <version>", "first version to show").argParser(
          integerOption("--from", 1),
        ),
      )
      .addOption(
        new Option("--limit <n>", "at most n events")
          .argParser(integerOption("--limit", 1))
          .default(100),
      )
      .option("--newest-first", "newest event first (from --from downwards)"),
    [
      "streamstore stream show account-alice",
      "streamstore stream show account-alice --newest-first --limit 5",
      "streamstore stream show account-alice --from 3 --json",
    ],
  ).action(
    runAction(
      (context, name: string, options: { from?: number; limit: number; newestFirst?: boolean }) =>
        showStream(context, name, options),
    ),
  );
}
