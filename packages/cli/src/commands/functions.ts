import { archiveFunctionLibrary } from "@streamstore/archive";
import {
  coreFunctionLibrary,
  type FunctionLibrary,
  installFunctionLibraries,
} from "@streamstore/core";
import { projectionsFunctionLibrary } from "@streamstore/projections";
import type { Command } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import type { CommandContext } from "../context/CommandContext.js";
import { type RedisClient, serversOf } from "../context/RedisClient.js";
import { EXIT_CODES } from "../exitCodes.js";
import { withExamples } from "./shared.js";

/** Every library this CLI's packages run: what `functions install` loads. */
const LIBRARIES: readonly FunctionLibrary[] = [
  coreFunctionLibrary,
  projectionsFunctionLibrary,
  archiveFunctionLibrary,
];

async function install(context: CommandContext): Promise<number> {
  const redis = await context.redis();
  const installs = await installFunctionLibraries(redis, LIBRARIES);
  const { output } = context;
  output.data({ installs }, () => {
    output.table(
      ["server", "library", "outcome"],
      installs.map((row) => [row.server, row.library, row.outcome]),
    );
    output.line(
      "Application users made with aclRuleFor() can now run streamstore (FCALL / FCALL_RO) without EVAL.",
    );
  });
  return EXIT_CODES.ok;
}

interface LoadedLibrary {
  server: string;
  library: string;
  state: "current" | "other version";
}

async function loadedLibraries(redis: RedisClient): Promise<LoadedLibrary[]> {
  // The context's client is connected (a Cluster client has read its slots): its primaries are known.
  const nodes = serversOf(redis);
  const current = new Set(LIBRARIES.map((library) => library.name));
  const rows: LoadedLibrary[] = [];
  for (const node of nodes) {
    const server = `${node.options.host ?? "127.0.0.1"}:${node.options.port ?? 6379}`;
    const listed = (await node.call(
      "FUNCTION",
      "LIST",
      "LIBRARYNAME",
      "streamstore_*",
    )) as unknown[][];
    for (const entry of listed) {
      const library = String(entry[1]);
      rows.push({ server, library, state: current.has(library) ? "current" : "other version" });
    }
  }
  return rows;
}

async function status(context: CommandContext): Promise<number> {
  const redis = await context.redis();
  const rows = await loadedLibraries(redis);
  const servers = new Set(rows.map((row) => row.server));
  const missing = LIBRARIES.filter(
    (library) =>
      servers.size === 0 ||
      [...servers].some(
        (server) => !rows.some((row) => row.server === server && row.library === library.name),
      ),
  ).map((library) => library.name);
  const { output } = context;
  output.data({ libraries: rows, missing }, () => {
    if (rows.length > 0) {
      output.table(
        ["server", "library", "state"],
        rows.map((row) => [row.server, row.library, row.state]),
      );
    }
    output.line(
      missing.length === 0
        ? "Every library this streamstore runs is loaded."
        : `Not loaded everywhere: ${missing.join(", ")}. Run \`streamstore functions install\` as a user allowed FUNCTION LOAD.`,
    );
  });
  return missing.length === 0 ? EXIT_CODES.ok : EXIT_CODES.failure;
}

/**
 * Registers `streamstore functions install|status`: the operator step that loads the toolkit's
 * Redis Functions libraries, so application users need FCALL and never EVAL.
 *
 * @example
 * registerFunctions(program, runAction);
 */
export function registerFunctions(program: Command, runAction: ActionRunner): void {
  const functions = program
    .command("functions")
    .description(
      "The toolkit's Lua as Redis Functions libraries (versioned by their code): load them as an admin, so application users made with aclRuleFor() run FCALL and never EVAL.",
    );
  withExamples(
    functions
      .command("install")
      .description(
        "Load the core, projections and archive libraries on the server (every primary of a Cluster); a library already there is left as it is. Needs a user allowed FUNCTION LOAD.",
      ),
    ["REDIS_URL=redis://admin:secret@redis:6379 streamstore functions install"],
  ).action(runAction((context) => install(context)));
  withExamples(
    functions
      .command("status")
      .description(
        "List the streamstore libraries loaded on each primary, and whether this version's are there (exit code 1 when one is missing).",
      ),
    ["streamstore functions status --json"],
  ).action(runAction((context) => status(context)));
}
