import type { Command } from "commander";
import type { ActionRunner } from "../program.js";

/**
 * Registers every command on the program.
 *
 * @example
 * registerCommands(program, runAction);
 */
export function registerCommands(_program: Command, _runAction: ActionRunner): void {}
