import type { CommandSpec, CommandTable } from "./CommandContext.js";
import { arityError, replyError } from "./replyError.js";

/** A command found in the table: its spec (a subcommand's, if any) and its handler's. */
export interface FoundCommand {
  spec: CommandSpec;
  handlerSpec: CommandSpec;
  /** `name` or `name|subcommand`, as Redis names it in errors. */
  fullName: string;
}

/**
 * Finds a command (and its subcommand) in the table, or returns Redis's error text for an unknown
 * one (`processCommand`: the arguments quoted up to 128 characters, newlines blanked).
 *
 * @example
 * ```ts
 * const found = lookupCommand(commands, ["XINFO", "GROUPS", "s"]); // fullName "xinfo|groups"
 * ```
 */
export function lookupCommand(
  commands: CommandTable,
  argv: readonly string[],
): FoundCommand | string {
  const name = (argv[0] ?? "").toLowerCase();
  const spec = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (spec === undefined) {
    let args = "";
    for (let index = 1; index < argv.length && args.length < 128; index++) {
      args += `'${(argv[index] as string).slice(0, 128 - args.length)}' `;
    }
    return `ERR unknown command '${(argv[0] ?? "").slice(0, 128)}', with args beginning with: ${args}`.replace(
      /[\r\n]/g,
      " ",
    );
  }
  if (spec.subcommands !== undefined && argv.length >= 2) {
    const subName = (argv[1] as string).toLowerCase();
    const sub = Object.hasOwn(spec.subcommands, subName) ? spec.subcommands[subName] : undefined;
    if (sub === undefined) {
      return `ERR unknown subcommand '${(argv[1] as string).slice(0, 128)}'. Try ${name.toUpperCase()} HELP.`;
    }
    return { spec: sub, handlerSpec: spec, fullName: `${name}|${subName}` };
  }
  return { spec, handlerSpec: spec, fullName: name };
}

/**
 * Lookup and arity checks: the error reply, or undefined when the command may run. From a script,
 * Redis words both errors its own way.
 *
 * @example
 * ```ts
 * validateCommand(commands, ["GET"], false); // ERR wrong number of arguments for 'get' command
 * ```
 */
export function validateCommand(
  commands: CommandTable,
  argv: readonly string[],
  fromScript: boolean | undefined,
): Error | undefined {
  const found = lookupCommand(commands, argv);
  if (typeof found === "string") {
    return replyError(fromScript ? "ERR Unknown Redis command called from script" : found);
  }
  const { spec, fullName } = found;
  if ((spec.arity > 0 && spec.arity !== argv.length) || argv.length < -spec.arity) {
    return replyError(
      fromScript
        ? "ERR Wrong number of args calling Redis command from script"
        : arityError(fullName),
    );
  }
  return undefined;
}
