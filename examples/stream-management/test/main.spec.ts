import { describe, expect, inject, it } from "vitest";
import { main } from "../src/main.js";

describe.each([
  { backend: "the in-memory fake", redisUrl: undefined },
  { backend: "real Redis", redisUrl: inject("redisUrl") },
])("stream-management example on $backend", ({ redisUrl }) => {
  it("reports streams, groups, consumers, projection lag, and trims only the derived stream", async () => {
    // Given the example's output captured line by line
    const lines: string[] = [];

    // When it runs (quick: 60 orders, then 20 more while the projection is stopped)
    const summary = await main({ redisUrl, quick: true, print: (line) => lines.push(line) });
    const output = lines.join("\n");

    // Then the aggregate is an index of 3 records, each pointing at its event in the category log
    expect(output).toMatch(
      /aggregate order-7: index \S+:\{order:0\}:i:7, 36 bytes = 3 versions of 12 bytes, each a position in \S+:\{order:0\}:log/,
    );
    const pointed = lines.flatMap((line) => {
      const match = /^ {5}version (\d) -> log entry (\d+-\d+): (\w+) of (\S+) version (\d)$/.exec(
        line,
      );
      return match ? [match.slice(1)] : [];
    });
    expect(
      pointed.map(([version, , type, stream, logVersion]) => [version, type, stream, logVersion]),
    ).toEqual([
      ["1", "OrderPlaced", "order-7", "1"],
      ["2", "OrderPaid", "order-7", "2"],
      ["3", "OrderShipped", "order-7", "3"],
    ]);
    // and XINFO STREAM shows the category log and the derived stream
    expect(output).toMatch(
      /category log of order: length 180, entries added 180, last id \d+-\d+, groups 1/,
    );
    expect(output).toMatch(
      /notifications: length 180, entries added 180, last id \d+-\d+, groups 1/,
    );
    // and XINFO GROUPS / CONSUMERS and XPENDING show who holds what
    // (the projection's own group: its consumer appears once the runner tails with XREADGROUP)
    expect(output).toMatch(
      /category log group "rm:order-totals:v1": \d+ consumers?, 0 pending, lag \d+, entries read \S+/,
    );
    expect(output).toContain(
      'notifications group "mailer": 2 consumers, 7 pending, lag 165, entries read 15',
    );
    expect(output).toMatch(/consumer mailer-1: 2 pending, idle \d+ ms/);
    expect(output).toMatch(/consumer mailer-2: 5 pending, idle \d+ ms/);
    expect(output).toContain("XPENDING notifications mailer: 7 pending (mailer-1 2, mailer-2 5)");
    expect(
      lines.filter((line) => / held by mailer-\d for \d+ ms, delivered 1 time$/.test(line)),
    ).toHaveLength(3);
    // and the status API shows the lag building up while stopped, and gone after the restart
    expect(output).toContain("running:   state live, checkpoint 180 entries applied, lag 0");
    expect(output).toContain(
      "stopped, 20 more orders: state stopped, checkpoint 180 entries applied, lag 60",
    );
    expect(output).toMatch(
      /restarted: state live, checkpoint 240 entries applied, lag 0, .*healthy true/,
    );
    expect(output).toContain("read model: 80 placed, 80 paid, 80 shipped, revenue 1985");
    // and retention trims whole nodes of the notifications only
    expect(output).toMatch(
      /notifications: \d+ trimmed, \d+ kept \(whole nodes only, so at least 100\), entries added still 240/,
    );
    expect(output).toMatch(/refused to trim \S+:\{order:0\}:i:7: it is event store history/);
    expect(output).toMatch(/refused to trim \S+:\{order:0\}:log: it is event store history/);
    expect(output).toContain(
      "order-7 is still at version 3 with 3 events; the order log keeps all 240 entries",
    );
    expect(summary.notificationsTrimmed).toBeGreaterThan(0);
    expect(summary.notificationsKept).toBeGreaterThanOrEqual(100);
    expect(summary.notificationsTrimmed + summary.notificationsKept).toBe(240);
    expect(summary).toMatchObject({
      lagWhileStopped: 60,
      lagAfterRestart: 0,
      logLengthAfterTrim: 240,
    });
  });
});
