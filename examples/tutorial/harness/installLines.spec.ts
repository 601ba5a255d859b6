import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The install lines of README.md and docs/getting-started.md name versions (zod, ioredis, the
// tarballs, the tools): they must be the ones the packages are built with, or a newcomer gets two
// copies of zod and ioredis, or tarballs that do not exist. .ci/tutorial-check runs the page's lines.

const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const manifest = (path: string) =>
  JSON.parse(read(path)) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
const workspace = manifest("package.json");
const core = manifest("packages/core/package.json");
const tutorial = manifest("examples/tutorial/package.json");
const pages = ["README.md", "docs/getting-started.md"];

/** Every `<name>@<version>` in `text`, as [name, version]. */
function pinned(text: string, name: string): string[] {
  const pattern = new RegExp(`(?<![\\w/-])${name.replace("/", "\\/")}@([\\w.^~-]+)`, "g");
  return [...text.matchAll(pattern)].map((match) => match[1] ?? "");
}

describe("install lines", () => {
  it.each(pages)("%s pins zod and ioredis at @streamstore/core's versions", (page) => {
    const text = read(page);
    for (const name of ["zod", "ioredis"]) {
      expect(pinned(text, name).length, `${name}@ in ${page}`).toBeGreaterThan(0);
      for (const version of pinned(text, name)) expect(version).toBe(core.dependencies[name]);
    }
  });

  it.each(pages)("%s names the tarballs that pnpm tarballs writes", (page) => {
    const tarballs = [...read(page).matchAll(/streamstore-([a-z]+)-([\w.-]+?)\.tgz/g)];
    expect(tarballs.length).toBeGreaterThan(0);
    for (const [, name = "", version] of tarballs) {
      expect(version, name).toBe(manifest(`packages/${name}/package.json`).version);
    }
  });

  it("docs/getting-started.md pins the tools at the workspace's versions", () => {
    const text = read("docs/getting-started.md");
    for (const name of ["typescript", "vitest", "tsx"]) {
      expect(pinned(text, name).length, name).toBeGreaterThan(0);
      for (const version of pinned(text, name))
        expect(version).toBe(workspace.devDependencies[name]);
    }
    const nodeTypes = workspace.devDependencies["@types/node"]?.split(".")[0];
    for (const version of pinned(text, "@types/node")) expect(version).toBe(nodeTypes);
  });

  it("the tutorial's package.json has the same versions as its install lines", () => {
    for (const name of ["zod", "ioredis"]) {
      expect(tutorial.dependencies[name], name).toBe(core.dependencies[name]);
    }
    for (const name of ["typescript", "vitest", "tsx", "@types/node"]) {
      expect(tutorial.devDependencies[name], name).toBe(workspace.devDependencies[name]);
    }
  });
});
