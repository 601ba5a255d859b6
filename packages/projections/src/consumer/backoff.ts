/**
 * An exponential backoff: `baseMs · 2^exponent`, at most `maxMs`. Pure.
 *
 * @example
 * backoffMs(100, 5000, attempt - 1); // 100, 200, 400, … 5000
 */
export function backoffMs(baseMs: number, maxMs: number, exponent: number): number {
  return Math.min(baseMs * 2 ** exponent, maxMs);
}

/** What to do about one more failure of a streak. */
export interface FailureStep {
  /** How long to wait before retrying. */
  delayMs: number;
  /** Whether to log it: the first failure of a streak, then at most one per `warnEveryMs`. */
  warn: boolean;
  /** This failure's rank in the streak (1 for the first). */
  failuresInARow: number;
}

/**
 * Failures in a row of a Redis reader or worker: the retry delay doubles from `baseMs` up to
 * `capMs` (or `baseMs`, if longer), and a warning is due once per streak and per `warnEveryMs`,
 * so a long outage costs few log lines. Pure: the caller passes the (monotonic) time.
 *
 * @example
 * const failures = new FailureStreak(250, 5000);
 * const { delayMs, warn } = failures.fail(performance.now());
 */
export class FailureStreak {
  private count = 0;
  private lastWarningAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly warnEveryMs = 5000,
  ) {}

  /** Failures since the last `reset`. */
  get failuresInARow(): number {
    return this.count;
  }

  /** Records a failure at `now` (ms). */
  fail(now: number): FailureStep {
    const delayMs = backoffMs(this.baseMs, Math.max(this.baseMs, this.capMs), this.count);
    const warn = this.count === 0 || now - this.lastWarningAt > this.warnEveryMs;
    if (warn) this.lastWarningAt = now;
    this.count++;
    return { delayMs, warn, failuresInARow: this.count };
  }

  /** A success ends the streak: the next failure starts again at `baseMs`, with a warning. */
  reset(): void {
    this.count = 0;
  }
}
