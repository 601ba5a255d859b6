/** Latency benchmarks' one way to run sides against each other on a shared, noisy machine. */

/**
 * Runs the sides one request at a time, alternating (and swapping which goes first every
 * request), after `warmup` unrecorded rounds; resolves each side's latencies in ms.
 *
 * @example
 * const [bare, store] = await alternate(500, 50, [() => bareRead(), () => storeRead()]);
 */
export async function alternate(
  iterations: number,
  warmup: number,
  sides: ((iteration: number) => Promise<unknown>)[],
): Promise<number[][]> {
  const samples = sides.map(() => [] as number[]);
  for (let iteration = -warmup; iteration < iterations; iteration++) {
    const order = sides.map((_, index) => index);
    if (iteration % 2 !== 0) order.reverse();
    for (const index of order) {
      const started = performance.now();
      await sides[index]?.(iteration < 0 ? -iteration : iteration);
      if (iteration >= 0) samples[index]?.push(performance.now() - started);
    }
  }
  return samples;
}
