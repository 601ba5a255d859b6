import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";

describe("tour", () => {
  it("runs every example on the fake and closes with their figures", async () => {
    // Given the tour's output captured line by line
    const lines: string[] = [];

    // When the quick tour runs
    const figures = await main({ quick: true, print: (line) => lines.push(line) });

    // Then it has one section per example, in order, and a table of figures
    expect(
      lines.filter((line) => /^\d\/6 {2}/.test(line)).map((line) => line.split(/\s+/)[1]),
    ).toEqual([
      "bank-account",
      "work-queue",
      "audit-log",
      "realtime-analytics",
      "stream-management",
      "personal-data",
    ]);
    const value = (example: string, figure: string) =>
      figures.find((row) => row.example === example && row.figure === figure)?.value;
    expect(value("bank-account", "withdrawals accepted / refused")).toBe("6 / 2");
    expect(value("work-queue", "dead letters")).toBe("1");
    expect(value("stream-management", "projection lag stopped / restarted")).toBe("60 / 0");
    expect(value("personal-data", "fields forgotten / others intact")).toBe("2 / yes");
    expect(lines).toContain("Figures");
    expect(lines.at(-1)).toMatch(/^Tour done in \d+\.\d s: \d+ events appended in all\./);
  });
});
