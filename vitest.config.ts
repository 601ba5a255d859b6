import { defineConfig } from "vitest/config";

// vitest 4 ignores vitest.workspace.ts: projects are listed here, each package keeps its own config.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts"],
  },
});
