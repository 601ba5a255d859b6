import { describe, expect, inject, it } from "vitest";
import { main } from "../src/main.js";

describe.each([
  { backend: "the in-memory fake", redisUrl: undefined },
  { backend: "real Redis", redisUrl: inject("redisUrl") },
])("bank-account example on $backend", ({ redisUrl }) => {
  it("retries conflicting withdrawals and the projection agrees with the aggregate", async () => {
    // Given the example's output captured line by line
    const lines: string[] = [];

    // When it runs
    const summary = await main({ redisUrl, print: (line) => lines.push(line) });
    const output = lines.join("\n");

    // Then every withdrawal the balance covers is accepted, the rest refused, none lost
    expect(output).toMatch(/account-alice: opened at version 1, deposited 200 at version 2/);
    expect(output).toContain("6 accepted, 4 refused for insufficient funds");
    expect(
      lines.filter((line) => /withdrawal #\d+: accepted at version \d+/.test(line)),
    ).toHaveLength(6);
    expect(output).toMatch(/conflicts? retried in total/);
    expect(summary.conflictsRetried).toBeGreaterThan(0);
    expect(output).toContain("refused with ConcurrencyError: the stream is at version 8");
    expect(output).toContain(
      "account-alice: projected balance 20 (1 deposit, 6 withdrawals); replaying its 8 events gives 20",
    );
    expect(output).toContain("account-bob: projected balance 50");
    expect(output).toMatch(/10 log entries applied, lag 0, 0 dead letters/);
    expect(lines.at(-1)).toBe("Done: 10 events appended, account-alice at version 8.");
  });
});
