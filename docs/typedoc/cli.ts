/**
 * The `streamstore` CLI as a library: `defineConfig` for `streamstore.config.ts`, `runCli` (the
 * program, in-process) and its exit codes.
 *
 * @module @streamstore/cli
 */
export * from "@streamstore/cli";
