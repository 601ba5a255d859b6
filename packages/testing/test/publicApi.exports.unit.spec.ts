import { describe, expect, it } from "vitest";

// The runtime names of @streamstore/testing's main entry: what users import. Changing this list changes
// the public API, so do it on purpose (and in the docs); what only the sibling packages or the
// tests need goes to src/internal.ts ("@streamstore/testing/internal").
const PUBLIC_API = [
  "DEFAULT_FAKE_REDIS_OPTIONS",
  "SCRIPT_TWIN_FALLBACK",
  "TOOLKIT_SCRIPT_TWINS",
  "createFakeRedis",
  "createInMemoryArchive",
  "createManualClock",
  "createPostgresTestDatabase",
  "createStandaloneFakeRedis",
  "createTestCertificates",
  "deciderSpecification",
  "getFreePort",
  "hasPostgresServerBinaries",
  "hasRedisServerBinary",
  "onStream",
  "projectionSpecification",
  "recordingLogger",
  "scriptLine",
  "startPostgresServer",
  "startRedisCluster",
  "startRedisServer",
  "startTcpProxy",
  "startTlsRedisServer",
];

describe("@streamstore/testing's main entry", () => {
  it("exports exactly the public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual(PUBLIC_API);
  });
});
