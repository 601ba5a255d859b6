import { stringifyJsonSafely } from "@streamstore/core/internal";
import {
  createDeadLetters,
  createRedisReadModelStore,
  type DeadLetter,
  type ReadModelStore,
} from "@streamstore/projections";
import type { Command } from "commander";
import type { CommandContext } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { pagedListing } from "../output/pagedListing.js";
import type { ActionRunner } from "../program.js";
import { confirm, truncate, withExamples } from "./shared.js";

interface DlqOptions {
  build?: string;
}

/** The read-model store and build of a projection's dead letters (default: the active build). */
async function deadLetterStore(
  context: CommandContext,
  name: string,
  options: DlqOptions,
): Promise<{ readModel: ReadModelStore; build: string }> {
  const redis = await context.redis();
  const prefix = await context.prefix();
  // Listing, showing and discarding need no projection code: the read-model store does them.
  const readModel = createRedisReadModelStore({ redis, prefix, name });
  const build = options.build ?? (await readModel.readActiveBuild());
  if (build === null) {
    throw new CliError(
      EXIT_CODES.notFound,
      `[streamstore] projection "${name}" has no active build under prefix "${prefix}" (it never ran). Run \`streamstore projections list\`, or pass --build.`,
    );
  }
  return { readModel, build };
}

/** Dead letters read per round trip (and printed per table by `dlq list`). */
const DLQ_PAGE = 500;

async function allDeadLetters(readModel: ReadModelStore, build: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await readModel.listDeadLetters(build, { after, count: DLQ_PAGE });
    for (const letter of page) letters.push(letter);
    if (page.length < DLQ_PAGE) return letters;
    after = page[page.length - 1]?.id;
  }
}

/** `retry` and `discard` take one id or `--all`, never both and never neither. */
function assertIdOrAll(id: string | undefined, all: boolean | undefined): void {
  if ((id === undefined) === !all) {
    throw new CliError(
      EXIT_CODES.usage,
      "[streamstore] give a dead-letter id or --all (not both).",
    );
  }
}

/** The ids `retry` and `discard` act on: the one given, else every dead letter of the build. */
async function chosenIds(
  readModel: ReadModelStore,
  build: string,
  id: string | undefined,
): Promise<string[]> {
  if (id !== undefined) return [id];
  return (await allDeadLetters(readModel, build)).map((letter) => letter.id);
}

function notFound(name: string, id: string): CliError {
  return new CliError(
    EXIT_CODES.notFound,
    `[streamstore] projection "${name}" has no dead letter "${id}". Run \`streamstore dlq list ${name}\`.`,
  );
}

async function list(context: CommandContext, name: string, options: DlqOptions): Promise<number> {
  const { readModel, build } = await deadLetterStore(context, name, options);
  const { output } = context;
  // Read and printed a page at a time (a table each), never all of them at once (issue 14).
  let page = await readModel.listDeadLetters(build, { count: DLQ_PAGE });
  if (page.length === 0 && !output.json) {
    output.line(`Projection "${name}" build ${build} has no dead letters.`);
    return EXIT_CODES.ok;
  }
  const listing = pagedListing<DeadLetter>(output, {
    head: { projection: name, build },
    field: "deadLetters",
    columns: ["id", "partition", "entry", "type", "reason", "attempts", "at", "error"],
    row: (letter) => [
      letter.id,
      letter.partition,
      letter.entryId,
      letter.type,
      letter.reason,
      letter.attempts,
      new Date(letter.at).toISOString(),
      truncate(letter.error, 60),
    ],
  });
  for (;;) {
    listing.page(page);
    const after = page[page.length - 1]?.id;
    if (page.length < DLQ_PAGE || after === undefined) break;
    page = await readModel.listDeadLetters(build, { after, count: DLQ_PAGE });
  }
  listing.end();
  if (!output.json) {
    output.line(
      `${listing.count} dead letter${listing.count === 1 ? "" : "s"} of "${name}" build ${build}. Retry: streamstore dlq retry ${name} <id|--all>; drop: streamstore dlq discard ${name} <id|--all>.`,
    );
  }
  return EXIT_CODES.ok;
}

async function show(
  context: CommandContext,
  name: string,
  id: string,
  options: DlqOptions,
): Promise<number> {
  const { readModel, build } = await deadLetterStore(context, name, options);
  const letter = await readModel.getDeadLetter(build, id);
  if (!letter) throw notFound(name, id);
  let entry: unknown = letter.entry;
  try {
    entry = JSON.parse(letter.entry);
  } catch {
    // A corrupt entry is shown as stored.
  }
  const { output } = context;
  output.data({ projection: name, build, ...letter, entry }, () => {
    const rows: [string, string][] = [
      ["id", letter.id],
      ["projection", `${name} (build ${build})`],
      ["partition", letter.partition],
      ["entry", letter.entryId],
      ["type", letter.type],
      ["reason", letter.reason],
      ["attempts", String(letter.attempts)],
      ["at", new Date(letter.at).toISOString()],
      ["error", letter.error],
    ];
    for (const [label, value] of rows)
      output.line(`${output.colors.bold(label.padEnd(10))}  ${value}`);
    output.line(output.colors.bold("fields"));
    for (const line of stringifyJsonSafely(entry, undefined, 2).split("\n")) output.line(line);
  });
  return EXIT_CODES.ok;
}

async function retry(
  context: CommandContext,
  name: string,
  id: string | undefined,
  options: DlqOptions & { all?: boolean },
): Promise<number> {
  assertIdOrAll(id, options.all);
  // Retrying applies the event with the handlers: that needs the projection's code.
  const projection = await context.projection(name);
  const { readModel, build } = await deadLetterStore(context, name, options);
  const deadLetters = createDeadLetters(projection, { readModel, build });
  const ids = await chosenIds(readModel, build, id);
  const results: { id: string; ok: boolean; key?: string | null; error?: string }[] = [];
  for (const letterId of ids) {
    try {
      const { key } = await deadLetters.retry(letterId);
      results.push({ id: letterId, ok: true, key: key ?? null });
    } catch (error) {
      if (id !== undefined && (error as { code?: string }).code === "DEAD_LETTER_NOT_FOUND") {
        throw notFound(name, letterId);
      }
      results.push({ id: letterId, ok: false, error: (error as Error).message });
    }
  }
  const failed = results.filter((result) => !result.ok);
  const { output } = context;
  output.data({ projection: name, build, results }, () => {
    for (const result of results) {
      output.line(
        result.ok
          ? `${output.colors.green("retried")}  ${result.id}${result.key ? ` -> document ${result.key}` : " (no handler: removed)"}`
          : `${output.colors.red("failed")}   ${result.id}: ${result.error}`,
      );
    }
    output.line(
      `${results.length - failed.length} of ${results.length} dead letter${results.length === 1 ? "" : "s"} retried${failed.length > 0 ? "; the failed ones stay (fix the handler in the config's code, then retry again)" : ""}.`,
    );
  });
  return failed.length > 0 ? EXIT_CODES.failure : EXIT_CODES.ok;
}

async function discard(
  context: CommandContext,
  name: string,
  id: string | undefined,
  options: DlqOptions & { all?: boolean; yes?: boolean },
): Promise<number> {
  assertIdOrAll(id, options.all);
  const { readModel, build } = await deadLetterStore(context, name, options);
  const ids = await chosenIds(readModel, build, id);
  if (id !== undefined && !(await readModel.getDeadLetter(build, id))) throw notFound(name, id);
  await confirm(
    context,
    options.yes,
    `Discard ${ids.length} dead letter${ids.length === 1 ? "" : "s"} of "${name}" build ${build} without applying them?`,
  );
  let discarded = 0;
  for (const letterId of ids) {
    if (await readModel.discardDeadLetter(build, letterId)) discarded++;
    else if (id !== undefined) throw notFound(name, letterId);
  }
  const { output } = context;
  output.data({ projection: name, build, discarded: ids }, () =>
    output.line(
      `Discarded ${discarded} dead letter${discarded === 1 ? "" : "s"} of "${name}" build ${build}.`,
    ),
  );
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore dlq list|show|retry|discard`.
 *
 * @example
 * registerDlq(program, runAction);
 */
export function registerDlq(program: Command, runAction: ActionRunner): void {
  const dlq = program
    .command("dlq")
    .description("Dead letters of a projection: list, show, retry, discard.");
  const buildOption = (command: Command) =>
    command.option("--build <build>", "the build (default: the one readers use)");
  withExamples(
    buildOption(
      dlq
        .command("list")
        .argument("<projection>", "projection name")
        .description("List a projection's dead letters (no projection code needed)."),
    ),
    ["streamstore dlq list balances", "streamstore dlq list balances --build v1.1 --json"],
  ).action(runAction((context, name: string, options: DlqOptions) => list(context, name, options)));
  withExamples(
    buildOption(
      dlq
        .command("show")
        .argument("<projection>", "projection name")
        .argument("<id>", "dead-letter id (from dlq list)")
        .description(
          "Show one dead letter with its error and raw entry fields. Exit code 4 when it does not exist.",
        ),
    ),
    ["streamstore dlq show balances 1718000000000-0"],
  ).action(
    runAction((context, name: string, id: string, options: DlqOptions) =>
      show(context, name, id, options),
    ),
  );
  withExamples(
    buildOption(
      dlq
        .command("retry")
        .argument("<projection>", "projection name")
        .argument("[id]", "dead-letter id (or --all)")
        .option("--all", "every dead letter of the build")
        .description(
          "Apply a dead letter's event again with the config's handlers (after a fix) and remove it, atomically: retried twice, it applies once. Needs the projection in the config module. Exit code 1 when a retry fails again (it stays).",
        ),
    ),
    ["streamstore dlq retry balances 1718000000000-0", "streamstore dlq retry balances --all"],
  ).action(
    runAction(
      (context, name: string, id: string | undefined, options: DlqOptions & { all?: boolean }) =>
        retry(context, name, id, options),
    ),
  );
  withExamples(
    buildOption(
      dlq
        .command("discard")
        .argument("<projection>", "projection name")
        .argument("[id]", "dead-letter id (or --all)")
        .option("--all", "every dead letter of the build")
        .option("--yes", "do not ask for confirmation")
        .description("Remove dead letters without applying them (asks first unless --yes)."),
    ),
    [
      "streamstore dlq discard balances 1718000000000-0 --yes",
      "streamstore dlq discard balances --all --yes",
    ],
  ).action(
    runAction(
      (
        context,
        name: string,
        id: string | undefined,
        options: DlqOptions & { all?: boolean; yes?: boolean },
      ) => discard(context, name, id, options),
    ),
  );
}
