// The repository's test project for the tutorial (not part of the tutorial a user copies): its
// own tests (test/*.test.ts) on the workspace sources, and harness/ (main.ts and the CLI as a user
// runs them, on the fake and on the test run's private Redis). `pnpm test:unit` runs only the
// tutorial's own tests: they run on the fake.
import { mergeConfig } from "vitest/config";
import { streamstoreProject, unitTestsOnly } from "../../vitest.shared.js";

export default mergeConfig(streamstoreProject("example-tutorial"), {
  test: {
    include: unitTestsOnly ? ["test/**/*.test.ts"] : ["test/**/*.test.ts", "harness/**/*.spec.ts"],
    // harness/ starts tsx about seven times (1 to 5 s each on a busy machine).
    testTimeout: 120_000,
  },
});
