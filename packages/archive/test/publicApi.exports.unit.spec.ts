import { describe, expect, it } from "vitest";

// The runtime names of @streamstore/archive's main entry: what users import. Changing this list changes
// the public API, so do it on purpose (and in the docs); what only the sibling packages or the
// tests need goes to src/internal.ts ("@streamstore/archive/internal").
const PUBLIC_API = [
  "ARCHIVE_SCHEMA_VERSION",
  "DEFAULT_ARCHIVER_OPTIONS",
  "DEFAULT_POSTGRES_ARCHIVE_OPTIONS",
  "archiveFunctionLibrary",
  "createPostgresArchive",
  "startArchiver",
];

describe("@streamstore/archive's main entry", () => {
  it("exports exactly the public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual(PUBLIC_API);
  });
});
