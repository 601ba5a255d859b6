import { defineEvents } from "@streamstore/core";
import { defineProjection } from "@streamstore/projections";
import { z } from "zod";

/**
 * Jobs and their outcomes. A job is submitted to `job-<n>` (the job category log is the queue);
 * its outcome goes to `jobresult-<n>`, appended with expected version `no_stream`, so a job has
 * at most one outcome even when two workers end up running it.
 */
export const jobEvents = defineEvents({
  JobSubmitted: z.object({ image: z.string(), sizeKb: z.number().positive() }),
  JobCompleted: z.object({ worker: z.string(), thumbnailKb: z.number() }),
  JobDeadLettered: z.object({ worker: z.string(), error: z.string(), deliveries: z.number() }),
});

/** What the job board shows per job. */
export interface JobCard {
  image: string | null;
  outcome: "waiting" | "done" | "dead-lettered";
  worker: string | null;
}

/**
 * The job board: one card per job. A job's submission and its outcome come from two categories
 * (two logs, read independently), so each handler sets its own fields and any order gives the
 * same card.
 *
 * @example
 * const board = startProjection(jobBoard, { redis, store });
 */
export const jobBoard = defineProjection(jobEvents, {
  name: "job-board",
  version: 1,
  source: ["job", "jobresult"],
  key: (event) => `job-${event.streamName.slice(event.streamName.indexOf("-") + 1)}`,
  initialState: (): JobCard => ({ image: null, outcome: "waiting", worker: null }),
  handlers: {
    JobSubmitted: (draft, event) => {
      draft.image = event.data.image;
    },
    JobCompleted: (draft, event) => {
      draft.outcome = "done";
      draft.worker = event.data.worker;
    },
    JobDeadLettered: (draft, event) => {
      draft.outcome = "dead-lettered";
      draft.worker = event.data.worker;
    },
  },
});
