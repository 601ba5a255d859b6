/**
 * The time source of a fake Redis: milliseconds since the Unix epoch, like Redis's `mstime()`.
 *
 * It drives `*` stream ids, PEL idle times (XPENDING, XCLAIM/XAUTOCLAIM min-idle), consumer idle
 * times, TIME and key expiry. Block timeouts of XREAD/XREADGROUP use real timers, since they
 * measure how long a caller waits, not what the data says.
 *
 * @example
 * ```ts
 * const clock: FakeClock = { now: () => 1_700_000_000_000 };
 * ```
 */
export interface FakeClock {
  /** Current time in milliseconds since the epoch. */
  now(): number;
}

/**
 * A clock that only moves when told to.
 *
 * @example
 * ```ts
 * const clock = createManualClock(1_700_000_000_000);
 * clock.advance(60_000);
 * ```
 */
export interface ManualClock extends FakeClock {
  /** Moves time forward by `ms` (negative values move it back, as a wall clock may). */
  advance(ms: number): void;
  /** Sets the absolute time in ms since the epoch. */
  set(ms: number): void;
}

/**
 * The default clock: the machine's wall clock (`Date.now()`), as a real Redis uses.
 *
 * @example
 * ```ts
 * systemClock.now();
 * ```
 */
export const systemClock: FakeClock = { now: () => Date.now() };

/**
 * Creates a {@link ManualClock} starting at `startMs` (default: the current wall-clock time).
 * Pass it as `createFakeRedis({ clock })` to make ids and idle times deterministic.
 *
 * @example
 * ```ts
 * const clock = createManualClock(1_000);
 * const redis = createFakeRedis({ clock });
 * await redis.xadd("s", "*", "a", "1"); // "1000-0"
 * clock.advance(5);
 * await redis.xadd("s", "*", "a", "2"); // "1005-0"
 * ```
 */
export function createManualClock(startMs: number = Date.now()): ManualClock {
  assertTime(startMs);
  let current = Math.trunc(startMs);
  return {
    now: () => current,
    advance(ms: number) {
      assertTime(ms);
      current += Math.trunc(ms);
    },
    set(ms: number) {
      assertTime(ms);
      current = Math.trunc(ms);
    },
  };
}

function assertTime(ms: number): void {
  if (!Number.isFinite(ms)) {
    throw new RangeError(`[streamstore] a clock time must be a finite number of ms, got ${ms}.`);
  }
}
