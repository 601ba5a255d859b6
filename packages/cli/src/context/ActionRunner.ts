import type { CommandContext } from "./CommandContext.js";

/**
 * Runs one command with its context and turns what it throws into an exit code and a
 * `[streamstore]` message on stderr. Every command's action goes through it.
 *
 * @example
 * program.command("categories").action(runAction((context) => listCategories(context)));
 */
export type ActionRunner = <Args extends unknown[]>(
  action: (context: CommandContext, ...args: Args) => Promise<number | undefined>,
) => (...args: Args) => Promise<void>;
