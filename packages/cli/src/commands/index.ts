import type { Command } from "commander";
import type { ActionRunner } from "../context/ActionRunner.js";
import { registerDashboard } from "../dashboard/registerDashboard.js";
import { registerArchive } from "./archive.js";
import { registerCategories } from "./categories.js";
import { registerDlq } from "./dlq.js";
import { registerDoctor } from "./doctor.js";
import { registerForget } from "./forget.js";
import { registerFunctions } from "./functions.js";
import { registerProjections } from "./projections.js";
import { registerRebuild } from "./rebuild.js";
import { registerStreams } from "./streams.js";

/**
 * Registers every command on the program.
 *
 * @example
 * registerCommands(program, runAction);
 */
export function registerCommands(program: Command, runAction: ActionRunner): void {
  registerDoctor(program, runAction);
  registerStreams(program, runAction);
  registerCategories(program, runAction);
  registerRebuild(registerProjections(program, runAction), runAction);
  registerDlq(program, runAction);
  registerArchive(program, runAction);
  registerForget(program, runAction);
  registerFunctions(program, runAction);
  registerDashboard(program, runAction);
}
