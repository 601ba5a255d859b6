import { readFileSync } from "node:fs";
import { isStreamstoreError } from "@streamstore/core";
import { escapeControlCharacters } from "@streamstore/core/internal";
import { Command, CommanderError, Option } from "commander";
import { registerCommands } from "./commands/index.js";
import type { ActionRunner } from "./context/ActionRunner.js";
import {
  type CommandIo,
  createCommandContext,
  type GlobalOptions,
} from "./context/CommandContext.js";
import { noPermissionError } from "./context/noPermissionError.js";
import { CliError, EXIT_CODES, EXIT_CODES_HELP } from "./exitCodes.js";
import { isLogLevel } from "./output/cliLogger.js";

function usernameOf(url: string | undefined): string | undefined {
  try {
    return url ? decodeURIComponent(new URL(url).username) || undefined : undefined;
  } catch {
    return undefined;
  }
}

const REPORT_IT = "This looks like a bug: please report it with the command you ran.";

/**
 * What an unexpected error prints: its message on one line (escaped as any note), then its stack
 * frames one per line, then what to do.
 */
function bugReport(error: unknown): string[] {
  if (!(error instanceof Error)) return [`[streamstore] ${String(error)}`, REPORT_IT];
  const head = `${error.name}: ${error.message}`;
  const stack = error.stack ?? head;
  // The message may hold line breaks of its own (shown as \n); the frames are the lines after it.
  const frames = (stack.startsWith(head) ? stack.slice(head.length) : stack)
    .split("\n")
    .filter((line) => line.trim() !== "");
  return [`[streamstore] ${head}`, ...frames, REPORT_IT];
}

function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL("../package.json", import.meta.url), "utf8"),
  ) as { version: string };
  return manifest.version;
}

/**
 * Builds the `streamstore` program: global options, every command, exit codes in `--help`.
 * `exitCode.value` holds the code of the command that ran.
 *
 * @example
 * const { program, exitCode } = createProgram(io);
 * await program.parseAsync(["node", "streamstore", "doctor"]);
 */
export function createProgram(io: CommandIo): {
  program: Command;
  exitCode: { value: number };
} {
  const exitCode = { value: EXIT_CODES.ok as number };
  const program = new Command("streamstore");
  program
    .description(
      "Operate streamstore deployments: streams, projections, dead letters, the archive, Redis health.",
    )
    .version(packageVersion(), "-V, --version")
    .option(
      "--redis-url <url>",
      "Redis URL (rediss:// for TLS, user:password@ for ACL); default REDIS_URL, then the config's, then redis://127.0.0.1:6379",
    )
    .option(
      "--archive-url <url>",
      "the archive (cold tier) in PostgreSQL, postgres://user:password@host:5432/database; default STREAMSTORE_ARCHIVE_URL, then the config's archive",
    )
    .option("--prefix <prefix>", "the event store's key prefix (default: the config's, else ss)")
    .option(
      "-c, --config <path>",
      "config module (default: streamstore.config.ts|mts|js|mjs in this directory, or STREAMSTORE_CONFIG)",
    )
    .option("--json", "print data as JSON (stdout), notes on stderr", false)
    .option("--no-color", "no colors (also NO_COLOR, or when stdout is not a terminal)")
    .addOption(
      new Option("--log-level <level>", "toolkit log records to stderr at or above this level")
        .choices(["debug", "info", "warn", "error", "silent"])
        .default("warn"),
    )
    .addOption(
      new Option("--log-format <format>", "log records as pretty lines or JSON (pino-style)")
        .choices(["pretty", "json"])
        .default("pretty"),
    )
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      // Help and usage errors: their lines are commander's, but an error quotes the argument as
      // typed (pasted text may hold control characters), so only line breaks pass.
      writeOut: (text) => io.stdout.write(escapeControlCharacters(text, { keepLineBreaks: true })),
      writeErr: (text) => io.stderr.write(escapeControlCharacters(text, { keepLineBreaks: true })),
    })
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();

  const runAction: ActionRunner =
    (action) =>
    async (...args) => {
      const options = program.opts() as GlobalOptions;
      if (!isLogLevel(options.logLevel)) options.logLevel = "warn";
      const context = createCommandContext(options, io);
      try {
        exitCode.value = (await action(context, ...args)) ?? EXIT_CODES.ok;
      } catch (thrown) {
        // NOPERM: say which permission is missing and where the operator rule is, not a stack.
        const error =
          noPermissionError(thrown, {
            prefix: await context.prefix().catch(() => undefined),
            user: usernameOf(options.redisUrl ?? io.env.REDIS_URL),
          }) ?? thrown;
        // Messages may quote a driver's error, which may quote a URL: no password gets through.
        // They quote untrusted text too (names and values read from Redis): written as notes,
        // their control characters are escaped.
        const write = (text: string) => context.output.note(context.redact(text));
        if (error instanceof CliError) {
          write(error.message);
          exitCode.value = error.exitCode;
        } else if (isStreamstoreError(error)) {
          write(error.message);
          exitCode.value = EXIT_CODES.failure;
        } else {
          for (const line of bugReport(error)) write(line);
          exitCode.value = EXIT_CODES.failure;
        }
      } finally {
        await context.close();
      }
    };

  registerCommands(program, runAction);
  for (const command of program.commands) command.exitOverride();
  return { program, exitCode };
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and resolves the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const { program, exitCode } = createProgram(io);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    throw error;
  }
  return exitCode.value;
}
