import { defineConfig } from "vitest/config";

const jsonReport = process.env.STREAMSTORE_JSON_REPORT;

// vitest 4 ignores vitest.workspace.ts: projects are listed here, each package keeps its own config.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts"],
    // CI asks for a JSON report beside the usual output, to end its log with plain counts.
    reporters: jsonReport ? ["default", ["json", { outputFile: jsonReport }]] : ["default"],
  },
});
