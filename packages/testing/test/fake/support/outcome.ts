/** What one command came to: its reply, or the message of the error it was rejected with. */
export type Outcome = { reply: unknown } | { error: string };

/**
 * Settles `promise` into an {@link Outcome}, so that two fakes' replies and error texts can be
 * compared with one `toEqual`.
 *
 * @example
 * expect(await outcome(twin.get("k"))).toEqual(await outcome(lua.get("k")));
 */
export async function outcome(promise: Promise<unknown>): Promise<Outcome> {
  try {
    return { reply: await promise };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
