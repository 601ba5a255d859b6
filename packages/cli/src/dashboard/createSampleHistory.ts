import type { DashboardSnapshot } from "./collectSnapshot.js";

/**
 * One projection at one sample time.
 *
 * @example
 * const { name, lag, appliedPerSecond } = sample.projections[0];
 */
export interface ProjectionSample {
  name: string;
  lag: number;
  /** Events per second the build went past since the previous sample. */
  appliedPerSecond: number;
  deadLetters: number;
}

/**
 * One point of the dashboard's charts. Projections are an array, not a record keyed by name, so
 * a projection called `__proto__` is just a name.
 *
 * @example
 * const totalLag = sample.projections.reduce((sum, projection) => sum + projection.lag, 0);
 */
export interface DashboardSample {
  /** ms since the epoch. */
  at: number;
  /** Events per second appended to all category logs since the previous sample. */
  appendedPerSecond: number;
  projections: ProjectionSample[];
}

/**
 * The samples of the last minutes, kept by the server so that a page opened now shows history.
 *
 * @example
 * const history = createSampleHistory({ capacity: 600 });
 * const sample = history.record(snapshot);
 */
export interface SampleHistory {
  /** Derives a sample from a snapshot (rates from the previous one) and keeps it. */
  record(snapshot: DashboardSnapshot): DashboardSample;
  /** The kept samples, oldest first. */
  samples(): DashboardSample[];
}

function perSecond(current: number, previous: number | undefined, seconds: number): number {
  // A rebuild restarts `applied` at 0 and a deleted category restarts `entries-added`: a
  // negative delta is a reset, not a negative rate.
  if (previous === undefined || seconds <= 0 || current < previous) return 0;
  return Math.round(((current - previous) / seconds) * 10) / 10;
}

/**
 * A ring buffer of {@link DashboardSample}s holding at most `capacity` of them.
 *
 * @example
 * const history = createSampleHistory({ capacity: Math.ceil((10 * 60_000) / intervalMs) });
 */
export function createSampleHistory(options: { capacity: number }): SampleHistory {
  const capacity = Math.max(1, Math.floor(options.capacity));
  const ring: DashboardSample[] = [];
  let start = 0;
  let previous: { at: number; appended: number; applied: Map<string, number> } | undefined;
  return {
    record(snapshot) {
      const appended = snapshot.categories.reduce(
        (sum, category) => sum + category.entriesAdded,
        0,
      );
      const seconds = previous ? (snapshot.at - previous.at) / 1000 : 0;
      const sample: DashboardSample = {
        at: snapshot.at,
        appendedPerSecond: perSecond(appended, previous?.appended, seconds),
        projections: snapshot.projections.map((projection) => ({
          name: projection.name,
          lag: projection.lag,
          appliedPerSecond: perSecond(
            projection.applied,
            previous?.applied.get(projection.name),
            seconds,
          ),
          deadLetters: projection.deadLetters,
        })),
      };
      previous = {
        at: snapshot.at,
        appended,
        applied: new Map(
          snapshot.projections.map((projection) => [projection.name, projection.applied]),
        ),
      };
      if (ring.length < capacity) ring.push(sample);
      else {
        ring[start] = sample;
        start = (start + 1) % capacity;
      }
      return sample;
    },
    samples() {
      return [...ring.slice(start), ...ring.slice(0, start)];
    },
  };
}
