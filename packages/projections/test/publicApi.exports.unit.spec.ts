import { describe, expect, it } from "vitest";

// The runtime names of @streamstore/projections's main entry: what users import. Changing this list changes
// the public API, so do it on purpose (and in the docs); what only the sibling packages or the
// tests need goes to src/internal.ts ("@streamstore/projections/internal").
const PUBLIC_API = [
  "CatchUpTimeoutError",
  "CheckpointConflictError",
  "CorruptCheckpointError",
  "DEFAULT_PROJECTION_READER_OPTIONS",
  "DEFAULT_PROJECTION_RUNNER_OPTIONS",
  "DEFAULT_REACTOR_OPTIONS",
  "DeadLetterNotFoundError",
  "ProjectionFencedError",
  "ProjectionHandlerError",
  "createDeadLetters",
  "createInMemoryReadModelStore",
  "createProjectionReader",
  "createReactorDeadLetters",
  "createRedisReadModelStore",
  "defineProjection",
  "defineReactor",
  "discoverProjections",
  "discoverReactors",
  "eraseSubject",
  "findPendingRebuild",
  "getProjectionStatus",
  "getReactorStatus",
  "isCatchUpTimeoutError",
  "isCheckpointConflictError",
  "isCorruptCheckpointError",
  "isDeadLetterNotFoundError",
  "isProjectionFencedError",
  "isProjectionHandlerError",
  "projectionsFunctionLibrary",
  "requestRebuild",
  "startProjection",
  "startReactor",
];

describe("@streamstore/projections's main entry", () => {
  it("exports exactly the public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual(PUBLIC_API);
  });
});
