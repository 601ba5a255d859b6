import { describe, expect, inject, it } from "vitest";
import { main } from "../src/main.js";

describe.each([
  { backend: "the in-memory fake", redisUrl: undefined },
  { backend: "real Redis", redisUrl: inject("redisUrl") },
])("realtime-analytics example on $backend", ({ redisUrl }) => {
  it("counts every live page view per minute and reports append-to-visible latency", async () => {
    // Given the example's output captured line by line
    const lines: string[] = [];

    // When it runs (quick: 200 views)
    const summary = await main({ redisUrl, quick: true, print: (line) => lines.push(line) });
    const output = lines.join("\n");

    // Then the projection was live before the traffic, and counted every view once
    expect(output).toContain('projection "views-per-minute" partition session:0 is live');
    expect(output).toMatch(/appended 200 views in \d+\.\d s \(\d+ views\/s\)/);
    const latency = /over 200 views: p50 (\d+\.\d) ms, p99 (\d+\.\d) ms, max (\d+\.\d) ms/.exec(
      output,
    );
    expect(latency).not.toBeNull();
    const [p50, p99, max] = (latency ?? []).slice(1).map(Number) as [number, number, number];
    expect(p50).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    const minuteLines = lines.filter((line) => /^ {3}10:0\d +\d+ views/.test(line));
    expect(minuteLines.map((line) => line.slice(3, 8))).toEqual([
      "10:00",
      "10:01",
      "10:02",
      "10:03",
      "10:04",
    ]);
    for (const line of minuteLines) expect(line).toMatch(/ {2}40 views +\d+ visitors {2}top \//);
    expect(output).toContain(
      "total 200 views counted of 200 appended; projection lag 0, 0 dead letters",
    );
    expect(summary).toMatchObject({
      eventsAppended: 200,
      countedViews: 200,
      minutes: 5,
      projectionLag: 0,
    });
  });
});
