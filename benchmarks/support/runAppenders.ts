/**
 * One append of a loop of {@link runAppenders}: `count` events to stream number `stream`, expecting
 * `version` (`"any"` on the hot stream).
 *
 * @example
 * const step: AppendStep = (appender, stream, version, count) =>
 *   bareAppend(clients[appender], "bare0", stream, version, count);
 */
export type AppendStep = (
  appender: number,
  stream: number,
  version: number | "any",
  count: number,
) => Promise<void>;

/** Options of {@link runAppenders}. */
export interface RunAppendersOptions {
  /** Concurrent appender loops (each usually on its own connection). */
  appenders: number;
  /** Streams they share out: appender `a` takes `a`, `a + appenders`, … (disjoint slices). */
  streams: number;
  /** How long to append, in seconds. */
  seconds: number;
  /** Events per append. Default 1. */
  eventsPerAppend?: number;
  /**
   * All appenders on one stream (number -1) with expected version `"any"`: exact versions from
   * many writers on one stream would only measure conflicts and retries.
   */
  hot?: boolean;
}

/** What {@link runAppenders} did. */
export interface AppendersRun {
  /** Events appended (appends × events per append). */
  events: number;
  /** Wall-clock seconds the loops ran. */
  seconds: number;
  /** CPU this process used (user + system), in µs per event: what the client side costs. */
  clientCpuMicrosPerEvent: number;
  /** Event-loop utilisation during the run: near 1, the client (not Redis) is the limit. */
  eventLoopUtilization: number;
}

/**
 * Runs `appenders` loops for `seconds`, each calling `append` with its stream and the version
 * that stream is at (only this loop writes it, so exact expected versions never conflict).
 *
 * @example
 * const run = await runAppenders({ appenders: 64, streams: 10_000, seconds: 3 }, (appender, stream, version) =>
 *   stores[appender].append(`account-${stream}`, [event], { expectedVersion: version }).then(() => {}),
 * );
 * console.log(run.events / run.seconds, "ev/s");
 */
export async function runAppenders(
  options: RunAppendersOptions,
  append: AppendStep,
): Promise<AppendersRun> {
  const { appenders, streams, hot = false } = options;
  const count = options.eventsPerAppend ?? 1;
  const versions = new Map<number, number>();
  let appended = 0;
  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: appenders }, async (_, appender) => {
      let turn = 0;
      while (performance.now() < deadline) {
        const stream = hot ? -1 : appender + appenders * (turn++ % Math.floor(streams / appenders));
        const version = hot ? "any" : (versions.get(stream) ?? 0);
        await append(appender, stream, version, count);
        if (version !== "any") versions.set(stream, version + count);
        appended += count;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    events: appended,
    seconds,
    clientCpuMicrosPerEvent: (cpu.user + cpu.system) / Math.max(appended, 1),
    eventLoopUtilization: performance.eventLoopUtilization(loopBefore).utilization,
  };
}
