import { stringifyJsonSafely } from "@streamstore/core/internal";
import {
  createDeadLetters,
  createReactorDeadLetters,
  type DeadLetter,
  type ReadModelStore,
} from "@streamstore/projections";
import type { Command } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import { pagedListing } from "../output/pagedListing.js";
import {
  type DeadLetterOwner,
  type DeadLetterOwnerOptions,
  ownerFields,
  ownerLabel,
  ReactorNotInConfigError,
  resolveDeadLetterOwner,
} from "./deadLetterOwner.js";
import { confirm, streamIdArgument, truncate, withExamples } from "./shared.js";

type DlqOptions = DeadLetterOwnerOptions;

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

function notFound(owner: DeadLetterOwner, id: string): CliError {
  return new CliError(
    EXIT_CODES.notFound,
    `[streamstore] ${owner.kind} "${owner.name}" has no dead letter "${id}". Run \`streamstore dlq list ${owner.name}${owner.kind === "reactor" ? "" : ` --build ${owner.build}`}\`.`,
  );
}

async function list(context: CommandContext, name: string, options: DlqOptions): Promise<number> {
  const owner = await resolveDeadLetterOwner(context, name, options);
  const { readModel, build } = owner;
  const { output } = context;
  // Read and printed a page at a time (a table each), never all of them at once (issue 14).
  let page = await readModel.listDeadLetters(build, { count: DLQ_PAGE });
  if (page.length === 0 && !output.json) {
    output.line(
      owner.kind === "reactor"
        ? `Reactor "${name}" has no dead letters.`
        : `Projection "${name}" build ${build} has no dead letters.`,
    );
    return EXIT_CODES.ok;
  }
  const listing = pagedListing<DeadLetter>(output, {
    head: ownerFields(owner),
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
      `${listing.count} dead letter${listing.count === 1 ? "" : "s"} of ${ownerLabel(owner)}. Retry: streamstore dlq retry ${name} <id|--all>; drop: streamstore dlq discard ${name} <id|--all>.`,
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
  const owner = await resolveDeadLetterOwner(context, name, options);
  const letter = await owner.readModel.getDeadLetter(owner.build, id);
  if (!letter) throw notFound(owner, id);
  let entry: unknown = letter.entry;
  try {
    entry = JSON.parse(letter.entry);
  } catch {
    // A corrupt entry is shown as stored.
  }
  const { output } = context;
  output.data({ ...ownerFields(owner), ...letter, entry }, () => {
    const rows: [string, string][] = [
      ["id", letter.id],
      owner.kind === "reactor"
        ? ["reactor", name]
        : ["projection", `${name} (build ${owner.build})`],
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

/** Retries one dead letter with the owner's code (the config's projection or reactor). */
type RetryOne = (letterId: string) => Promise<{ key?: string | null }>;

async function retrier(context: CommandContext, owner: DeadLetterOwner): Promise<RetryOne> {
  if (owner.kind === "projection") {
    // Retrying applies the event with the handlers: that needs the projection's code.
    const projection = await context.projection(owner.name);
    const deadLetters = createDeadLetters(projection, {
      readModel: owner.readModel,
      build: owner.build,
    });
    return async (letterId) => ({ key: (await deadLetters.retry(letterId)).key ?? null });
  }
  // A reactor's retry runs its handler (the side effect) once more: that needs the reactor's code.
  const reactors = (await context.config()).reactors ?? [];
  const reactor = reactors.find((candidate) => candidate.name === owner.name);
  if (!reactor) {
    throw new ReactorNotInConfigError(
      owner.name,
      reactors.map((candidate) => candidate.name),
    );
  }
  const deadLetters = createReactorDeadLetters(reactor, {
    redis: await context.redis(),
    prefix: await context.prefix(),
  });
  return async (letterId) => {
    await deadLetters.retry(letterId);
    return {};
  };
}

async function retry(
  context: CommandContext,
  name: string,
  id: string | undefined,
  options: DlqOptions & { all?: boolean },
): Promise<number> {
  assertIdOrAll(id, options.all);
  const owner = await resolveDeadLetterOwner(context, name, options);
  const retryOne = await retrier(context, owner);
  const ids = await chosenIds(owner.readModel, owner.build, id);
  const results: { id: string; ok: boolean; key?: string | null; error?: string }[] = [];
  for (const letterId of ids) {
    try {
      results.push({ id: letterId, ok: true, ...(await retryOne(letterId)) });
    } catch (error) {
      if (id !== undefined && (error as { code?: string }).code === "DEAD_LETTER_NOT_FOUND") {
        throw notFound(owner, letterId);
      }
      results.push({ id: letterId, ok: false, error: (error as Error).message });
    }
  }
  const failed = results.filter((result) => !result.ok);
  const { output } = context;
  const done = (result: (typeof results)[number]) =>
    owner.kind === "reactor"
      ? " (handler ran: removed)"
      : result.key
        ? ` -> document ${result.key}`
        : " (no handler: removed)";
  output.data({ ...ownerFields(owner), results }, () => {
    for (const result of results) {
      output.line(
        result.ok
          ? `${output.colors.green("retried")}  ${result.id}${done(result)}`
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
  const owner = await resolveDeadLetterOwner(context, name, options);
  const { readModel, build } = owner;
  const ids = await chosenIds(readModel, build, id);
  if (id !== undefined && !(await readModel.getDeadLetter(build, id))) throw notFound(owner, id);
  await confirm(
    context,
    options.yes,
    `Discard ${ids.length} dead letter${ids.length === 1 ? "" : "s"} of ${ownerLabel(owner)} without ${owner.kind === "reactor" ? "running the handler" : "applying them"}?`,
  );
  let discarded = 0;
  for (const letterId of ids) {
    if (await readModel.discardDeadLetter(build, letterId)) discarded++;
    else if (id !== undefined) throw notFound(owner, letterId);
  }
  const { output } = context;
  output.data({ ...ownerFields(owner), discarded: ids }, () =>
    output.line(
      `Discarded ${discarded} dead letter${discarded === 1 ? "" : "s"} of ${ownerLabel(owner)}.`,
    ),
  );
  return EXIT_CODES.ok;
}

/**
 * Registers `streamstore dlq list|show|retry|discard`, for a projection's or a reactor's dead
 * letters.
 *
 * @example
 * registerDlq(program, runAction);
 */
export function registerDlq(program: Command, runAction: ActionRunner): void {
  const dlq = program
    .command("dlq")
    .description("Dead letters of a projection or a reactor: list, show, retry, discard.");
  const ownerOptions = (command: Command) =>
    command
      .option("--build <build>", "a projection's build (default: the one readers use)")
      .option("--reactor", "the reactor of this name (when a projection has the same name)");
  const NAME = "projection or reactor name";
  withExamples(
    ownerOptions(
      dlq
        .command("list")
        .argument("<name>", NAME)
        .description("List a projection's or a reactor's dead letters (no code needed)."),
    ),
    [
      "streamstore dlq list balances",
      "streamstore dlq list balances --build v1.1 --json",
      "streamstore dlq list welcome-mail",
    ],
  ).action(runAction((context, name: string, options: DlqOptions) => list(context, name, options)));
  withExamples(
    ownerOptions(
      dlq
        .command("show")
        .argument("<name>", NAME)
        .argument("<id>", "dead-letter id (from dlq list)", streamIdArgument("<id>"))
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
    ownerOptions(
      dlq
        .command("retry")
        .argument("<name>", NAME)
        .argument("[id]", "dead-letter id (or --all)", streamIdArgument("[id]"))
        .option("--all", "every dead letter of the build or reactor")
        .description(
          "A projection's: apply the event again with the config's handlers (after a fix) and remove the dead letter, atomically (retried twice, it applies once). A reactor's: run the config's handler once more and remove the dead letter when it succeeds (at least once, as the reactor). Needs the projection or reactor in the config module. Exit code 1 when a retry fails again (it stays).",
        ),
    ),
    [
      "streamstore dlq retry balances 1718000000000-0",
      "streamstore dlq retry balances --all",
      "streamstore dlq retry welcome-mail --all",
    ],
  ).action(
    runAction(
      (context, name: string, id: string | undefined, options: DlqOptions & { all?: boolean }) =>
        retry(context, name, id, options),
    ),
  );
  withExamples(
    ownerOptions(
      dlq
        .command("discard")
        .argument("<name>", NAME)
        .argument("[id]", "dead-letter id (or --all)", streamIdArgument("[id]"))
        .option("--all", "every dead letter of the build or reactor")
        .option("--yes", "do not ask for confirmation")
        .description(
          "Remove dead letters without applying them or running the reactor's handler (asks first unless --yes).",
        ),
    ),
    [
      "streamstore dlq discard balances 1718000000000-0 --yes",
      "streamstore dlq discard welcome-mail --all --yes",
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
