import { mergeConfig } from "vitest/config";
import { streamstoreProject, unitTestsOnly } from "../../vitest.shared.js";

const base = streamstoreProject("cli");

export default mergeConfig(base, {
  test: {
    // Before the shared setup's redis-server: the binary under test is built from the sources
    // (the unit tests do not run it).
    globalSetup: unitTestsOnly
      ? []
      : [new URL("./test/support/buildCli.global-setup.ts", import.meta.url).pathname],
    // Each test spawns the binary several times (about 0.5 s per start, tsx loading the config).
    testTimeout: 120_000,
  },
});
