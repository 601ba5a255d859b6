import { describe, expect, inject, it } from "vitest";
import { main } from "../src/main.js";

describe.each([
  { backend: "the in-memory fake", redisUrl: undefined },
  { backend: "real Redis", redisUrl: inject("redisUrl") },
])("work-queue example on $backend", ({ redisUrl }) => {
  it("shares jobs among workers, recovers a killed worker's job and dead-letters the poison job", async () => {
    // Given the example's output captured line by line
    const lines: string[] = [];

    // When it runs (quick: 8 jobs, job-4 poison)
    const summary = await main({ redisUrl, quick: true, print: (line) => lines.push(line) });
    const output = lines.join("\n");

    // Then worker-2 dies holding a job, and another worker claims and completes that job
    const killed = /worker-2 is killed while working on (job-\d+): no ack/.exec(output);
    expect(killed).not.toBeNull();
    const lostJob = killed?.[1] as string;
    expect(output).toMatch(
      new RegExp(
        `worker-[13] claimed ${lostJob} \\(pending over 250 ms\\) with XAUTOCLAIM, delivery 2`,
      ),
    );
    expect(output).toMatch(new RegExp(`worker-[13] completed ${lostJob} in \\d+ ms, acked`));
    // and the poison job fails three times, then goes to the dead-letter stream
    expect(
      lines.filter((line) =>
        /job-4 failed \(cannot decode image\), delivery [12] of 3: left pending/.test(line),
      ),
    ).toHaveLength(2);
    expect(output).toMatch(
      /job-4 failed \(cannot decode image\), delivery 3 of 3: moved to the dead-letter stream, acked/,
    );
    expect(output).toContain("dead-letter stream: 1 entry");
    expect(output).toMatch(
      /job-4: "cannot decode image" after 3 deliveries, last tried by worker-[13]/,
    );
    // and every other job is completed exactly once, by some worker
    for (let job = 1; job <= 8; job++) {
      const completions = lines.filter((line) => line.includes(`completed job-${job} in`));
      expect(completions).toHaveLength(job === 4 ? 0 : 1);
    }
    expect(output).toContain('group "workers": 0 pending, lag 0 (XINFO GROUPS)');
    expect(output).toContain(
      "8 cards: 7 done, 1 dead-lettered, 0 waiting; lag 0, projection dead letters 0",
    );
    expect(lines.at(-1)).toMatch(
      /^Done: 8 jobs, 7 completed, \d+ claimed after a worker died or failed, 1 dead-lettered, 0 left pending\.$/,
    );
    expect(summary).toMatchObject({ jobs: 8, completed: 7, deadLettered: 1, pendingAtEnd: 0 });
    expect(summary.jobsPerWorker["worker-2"]).toBe(0);
  });
});
