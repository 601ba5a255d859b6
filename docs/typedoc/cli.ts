/**
 * The `streamstore` CLI as a library: `defineConfig` for `streamstore.config.ts`, the program, its
 * exit codes and the dashboard's server.
 *
 * @module @streamstore/cli
 */
export * from "@streamstore/cli";
