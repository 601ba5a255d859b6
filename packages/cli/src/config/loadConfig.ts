import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError, EXIT_CODES } from "../exitCodes.js";
import type { StreamstoreConfig } from "./defineConfig.js";

/** The file names looked for in the working directory, in this order. */
export const CONFIG_FILE_NAMES = [
  "streamstore.config.ts",
  "streamstore.config.mts",
  "streamstore.config.js",
  "streamstore.config.mjs",
] as const;

/**
 * Finds the config module: `--config <path>`, else `STREAMSTORE_CONFIG`, else the first of
 * {@link CONFIG_FILE_NAMES} in `cwd`. Returns undefined when there is none (every command but
 * those that need projection code works without one).
 *
 * @example
 * const path = findConfigFile(undefined, process.cwd());
 */
export function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  const named = explicit ?? process.env.STREAMSTORE_CONFIG;
  if (named) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) {
      throw new CliError(
        EXIT_CODES.usage,
        `[streamstore] config file ${path} does not exist. Pass --config <path> to a streamstore.config.ts or .js file.`,
      );
    }
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

/**
 * Loads a config module: TypeScript through tsx (no build step for the user), JavaScript with
 * `import()`. The default export (or the module's `config` export) is the config.
 *
 * @example
 * const config = await loadConfig("/app/streamstore.config.ts");
 */
export async function loadConfig(path: string): Promise<StreamstoreConfig> {
  let module: Record<string, unknown>;
  try {
    if (/\.[mc]?ts$/.test(path)) {
      const { tsImport } = await import("tsx/esm/api");
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<
        string,
        unknown
      >;
    } else {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new CliError(
      EXIT_CODES.failure,
      `[streamstore] could not load config ${path}: ${error instanceof Error ? error.message : String(error)}. Fix the module (run it with \`npx tsx ${path}\` to see the error).`,
    );
  }
  // tsx wraps a CommonJS-looking module's exports in a second `default`.
  let config = module.default ?? module.config;
  if (config && typeof config === "object" && "default" in config && !("prefix" in config)) {
    config = (config as { default: unknown }).default;
  }
  if (config === undefined || config === null || typeof config !== "object") {
    throw new CliError(
      EXIT_CODES.usage,
      `[streamstore] config ${path} has no default export. Write \`export default defineConfig({ ... })\`.`,
    );
  }
  return config as StreamstoreConfig;
}
