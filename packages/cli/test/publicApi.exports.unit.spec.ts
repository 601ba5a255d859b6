import { describe, expect, it } from "vitest";

// The runtime names of @streamstore/cli's main entry: what users import. Changing this list changes
// the public API, so do it on purpose (and in the docs); what only the sibling packages or the
// tests need goes to src/internal.ts ("@streamstore/cli/internal").
const PUBLIC_API = ["EXIT_CODES", "defineConfig", "runCli"];

describe("@streamstore/cli's main entry", () => {
  it("exports exactly the public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual(PUBLIC_API);
  });
});
