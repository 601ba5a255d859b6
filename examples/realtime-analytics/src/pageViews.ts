import { defineEvents } from "@streamstore/core";
import { defineProjection } from "@streamstore/projections";
import { z } from "zod";

/** A page view, as a browser session reports it. `at` is when the view happened (ms). */
export const pageViewEvents = defineEvents({
  PageViewed: z.object({ path: z.string().startsWith("/"), visitor: z.string(), at: z.number() }),
});

/** The counters of one minute. */
export interface MinuteCounters {
  views: number;
  /** Views per path. */
  paths: Record<string, number>;
  /** Visitors seen this minute (a set, as keys). */
  visitors: Record<string, true>;
}

/**
 * The minute bucket of a time, as a read-model key: `minute:HH:MM` (UTC).
 *
 * @example
 * minuteKey(Date.UTC(2026, 0, 1, 10, 3, 59)); // "minute:10:03"
 */
export function minuteKey(at: number): string {
  return `minute:${new Date(at).toISOString().slice(11, 16)}`;
}

/**
 * Per-minute counters. Counting is commutative, so it does not matter that one minute's views come
 * from many sessions (aggregates) and could be applied in any order.
 *
 * @example
 * const runner = startProjection(viewsPerMinute, { redis, store });
 * await runner.get(minuteKey(Date.now()));
 */
export const viewsPerMinute = defineProjection(pageViewEvents, {
  name: "views-per-minute",
  version: 1,
  source: ["session"],
  key: (event) => minuteKey(event.data.at),
  initialState: (): MinuteCounters => ({ views: 0, paths: {}, visitors: {} }),
  handlers: {
    PageViewed: (draft, event) => {
      draft.views++;
      draft.paths[event.data.path] = (draft.paths[event.data.path] ?? 0) + 1;
      draft.visitors[event.data.visitor] = true;
    },
  },
});

/** The counters of one path over all time. */
export interface PathCounters {
  views: number;
  /** The latest view's time (ms). */
  lastViewAt: number;
}

/**
 * Views per path, all time: a second read model of the same page views (the live mode runs both,
 * so the dashboard has more than one projection to chart).
 *
 * @example
 * const runner = startProjection(viewsPerPath, { redis, store });
 * await runner.get("path:/pricing");
 */
export const viewsPerPath = defineProjection(pageViewEvents, {
  name: "views-per-path",
  version: 1,
  source: ["session"],
  key: (event) => `path:${event.data.path}`,
  initialState: (): PathCounters => ({ views: 0, lastViewAt: 0 }),
  handlers: {
    PageViewed: (draft, event) => {
      draft.views++;
      draft.lastViewAt = Math.max(draft.lastViewAt, event.data.at);
    },
  },
});
