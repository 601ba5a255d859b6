import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * The CLI tests run the real binary (`node packages/cli/dist/bin.js`), so dist must match the
 * sources: `pnpm test` on a fresh clone has never built anything. `tsc -b` is incremental, so a
 * current build costs about a second.
 */
export function setup(): void {
  execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: root, stdio: "inherit" });
}
