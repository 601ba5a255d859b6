/**
 * Packs every @streamstore package into one directory (`pnpm pack`: `workspace:*` becomes the
 * real version) and prints the `npm install` lines that put them in a project outside this
 * repository, by use. How to install before the packages are on npm (README "Install").
 *
 *   pnpm tarballs ~/streamstore-tarballs    # builds first (tsc -b), then packs
 *
 * .ci/pack-check and .ci/tutorial-check install these same tarballs.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const PACKAGES = ["core", "projections", "testing", "cli", "archive"] as const;
type Package = (typeof PACKAGES)[number];

const target = process.argv[2];
if (!target) {
  console.error(
    '[streamstore] name the directory to pack into: pnpm tarballs ~/streamstore-tarballs (see "Install" in the README).',
  );
  process.exit(2);
}
const destination = resolve(target);
mkdirSync(destination, { recursive: true });

const tarballs = new Map<Package, string>();
for (const name of PACKAGES) {
  const output = execFileSync("pnpm", ["pack", "--pack-destination", destination], {
    cwd: `${root}packages/${name}`,
    encoding: "utf8",
  });
  // pnpm prints the tarball's path on its last line.
  const path = output.trim().split("\n").at(-1)?.trim() ?? "";
  tarballs.set(name, resolve(destination, basename(path)));
}

const core = JSON.parse(readFileSync(`${root}packages/core/package.json`, "utf8")) as {
  dependencies: Record<string, string>;
};
const pin = (name: string) => `${name}@${core.dependencies[name]}`;
const tgz = (...names: Package[]) => names.map((name) => tarballs.get(name)).join(" ");

console.log(`Packed into ${destination}:`);
for (const path of tarballs.values()) console.log(`  ${basename(path)}`);
console.log(`
In your project, with npm, by use:

  # the event store (core), read models and reactors (projections); zod and ioredis at the
  # versions @streamstore/core is built with, so that there is one copy of each
  npm install --save-exact ${tgz("core", "projections")} ${pin("zod")} ${pin("ioredis")}
  # tests on the in-memory fake: given/when/then, contract suites
  npm install -D ${tgz("testing")} vitest
  # the streamstore CLI (it uses the archive package)
  npm install -D ${tgz("cli", "archive")}
  # the PostgreSQL cold tier
  npm install ${tgz("archive")}

Until the packages are on npm, a tarball's @streamstore dependencies must be installed from their
tarballs, with it or before it: projections and archive need core; testing needs core and
projections; the CLI needs core, projections and archive. npm finds them there; pnpm and yarn look
them up in the registry instead, and fail.`);
