/**
 * Resolves once `condition` holds, polling every 20 ms; rejects naming `what` after `timeoutMs`.
 * Tests wait on conditions and signals, never on a clock guessing how long something takes.
 *
 * @example
 * await until(async () => (await redis.get(leaseKey)) !== null, "the archiver's lease");
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
