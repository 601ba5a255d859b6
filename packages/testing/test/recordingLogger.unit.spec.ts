import { describe, expect, it } from "vitest";
import { recordingLogger } from "../src/index.js";

describe("recordingLogger", () => {
  it("keeps every record in order, and prints them as the console logger would", () => {
    // Given a recording logger
    const logger = recordingLogger();
    // When records of each level are logged, one with an error and a terminal escape in it
    logger.debug({ n: 1 }, "first");
    logger.info({}, "second");
    logger.warn({ error: new Error("boom") }, "third \u001b[31m");
    logger.error({ stream: "order-7" }, "fourth");
    // Then all are kept with their fields, and text() has one escaped line each
    expect(logger.records.map((record) => record.level)).toEqual([
      "debug",
      "info",
      "warn",
      "error",
    ]);
    expect(logger.records[3]).toEqual({
      level: "error",
      fields: { stream: "order-7" },
      message: "fourth",
    });
    expect(logger.text().split("\n")).toEqual([
      'debug first {"n":1}',
      "info second {}",
      'warn third \\x1b[31m {"error":"boom"}',
      'error fourth {"stream":"order-7"}',
    ]);
  });
});
