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
    // and the reactor part does the same with the toolkit: the worker that took job-9 is stopped
    // mid-job, and another one takes the job over
    const stopped = /(reactor-\d) is shut down while working on job-9:/.exec(output);
    expect(stopped, output).not.toBeNull();
    const stoppedWorker = stopped?.[1] as string;
    const takeOver = new RegExp(
      `(reactor-\\d) handles job-9 \\(photo-9\\.jpg\\), attempt 2, taken over from ${stoppedWorker}`,
    ).exec(output);
    expect(takeOver, output).not.toBeNull();
    expect(takeOver?.[1]).not.toBe(stoppedWorker);
    expect(output).toMatch(
      /job-11 failed \(cannot decode image\) on attempt 3 of 3: the reactor dead-letters it/,
    );
    expect(output).toContain(
      "drained: 0 pending, lag 0; 5 completed, 1 taken over from the stopped worker",
    );
    expect(output).toContain("the reactor's dead-letter stream (deadLetters.list()): 1 entry");
    expect(output).toContain(
      'job-11: reason handler, 3 attempts, "CorruptImageError: cannot decode image"',
    );
    // and the job board saw every job of both parts
    expect(output).toContain(
      "14 cards: 12 done, 2 dead-lettered, 0 waiting; lag 0, projection dead letters 0",
    );
    expect(lines.at(-1)).toBe(
      `Done: 8 jobs by hand-written workers (7 completed, ${summary.claimedFromOthers} claimed, 1 dead-lettered), 6 by the reactor (5 completed, 1 taken over, 1 dead-lettered), 0 left pending.`,
    );
    expect(summary).toMatchObject({
      jobs: 8,
      completed: 7,
      deadLettered: 1,
      pendingAtEnd: 0,
      reactor: { jobs: 6, completed: 5, takenOver: 1, deadLetters: 1, pending: 0 },
    });
    expect(summary.jobsPerWorker["worker-2"]).toBe(0);
  });
});
