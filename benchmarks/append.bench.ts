/**
 * pnpm bench:append — append throughput of @streamstore/core against the bare minimum on the
 * same Redis in the same run: a Lua script doing only the version check and the two XADDs (same
 * fields), through ioredis, with the same concurrency, payloads and streams. Also Redis memory
 * per stored event. Writes benchmarks/results/append.{json,md}.
 *
 * Flags: --seconds N (per measurement, default 3), --appenders N (default 64).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { bareAppend, defineBareAppend } from "./support/bareAppend.js";
import { benchEvents, benchPayload } from "./support/benchEvents.js";
import { benchFlag } from "./support/benchFlag.js";
import { type AppendStep, runAppenders } from "./support/runAppenders.js";

const SECONDS = benchFlag("seconds", 3);
const APPENDERS = benchFlag("appenders", 64);
const STREAMS = 10_000;

const payloadBytes = Buffer.byteLength(JSON.stringify(benchPayload));

interface Scenario {
  name: string;
  eventsPerAppend: number;
  hot: boolean;
}
const scenarios: Scenario[] = [
  { name: "10,000 streams, 1 event/append", eventsPerAppend: 1, hot: false },
  { name: "10,000 streams, 10 events/append", eventsPerAppend: 10, hot: false },
  { name: "one hot stream, 1 event/append", eventsPerAppend: 1, hot: true },
  { name: "one hot stream, 10 events/append", eventsPerAppend: 10, hot: true },
];

async function measure(scenario: Scenario, append: AppendStep): Promise<number> {
  const run = await runAppenders(
    {
      appenders: APPENDERS,
      streams: STREAMS,
      seconds: SECONDS,
      eventsPerAppend: scenario.eventsPerAppend,
      hot: scenario.hot,
    },
    append,
  );
  return run.events / run.seconds;
}

async function main() {
  const server = await startRedisServer();
  const clients = Array.from({ length: APPENDERS }, () => new Redis(server.url));
  const admin = new Redis(server.url);
  const results: Record<string, unknown>[] = [];
  try {
    for (const client of clients) defineBareAppend(client);
    let run = 0;
    for (const scenario of scenarios) {
      const bareRates: number[] = [];
      const storeRates: number[] = [];
      // A B A B: this machine is shared and noisy, so both sides see the same conditions.
      for (let round = 0; round < 2; round++) {
        const barePrefix = `bare${run}`;
        const runBare = async () =>
          bareRates.push(
            await measure(scenario, (appender, stream, version, n) =>
              bareAppend(clients[appender] as Redis, barePrefix, stream, version, n),
            ),
          );
        const stores = clients.map((redis) =>
          getRedisEventStore({
            redis,
            events: benchEvents,
            prefix: `store${run}`,
            logger: silentLogger,
            serverCheck: "off",
          }),
        );
        const runStore = async () =>
          storeRates.push(
            await measure(scenario, async (appender, stream, version, n) => {
              await stores[appender]?.append(
                `account-${stream}`,
                Array.from({ length: n }, () => ({
                  type: "Deposited" as const,
                  data: benchPayload,
                })),
                { expectedVersion: version },
              );
            }),
          );
        // Alternate which side goes first: the second one runs on a fuller Redis.
        if (round % 2 === 0) {
          await runBare();
          await runStore();
        } else {
          await runStore();
          await runBare();
        }
        run += 1;
      }
      const bare = bareRates.reduce((a, b) => a + b, 0) / bareRates.length;
      const store = storeRates.reduce((a, b) => a + b, 0) / storeRates.length;
      const row = {
        scenario: scenario.name,
        bareEventsPerSecond: Math.round(bare),
        storeEventsPerSecond: Math.round(store),
        ratio: Number((store / bare).toFixed(3)),
      };
      results.push(row);
      console.log(
        `${row.scenario.padEnd(36)} bare ${String(row.bareEventsPerSecond).padStart(8)} ev/s   streamstore ${String(row.storeEventsPerSecond).padStart(8)} ev/s   ratio ${row.ratio.toFixed(2)}`,
      );
    }
    // Memory per stored event: a fresh prefix, 2,000 streams x 10 events, measured by INFO.
    const before = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
    const memoryStore = getRedisEventStore({
      redis: admin,
      events: benchEvents,
      prefix: "mem",
      logger: silentLogger,
    });
    const STORED = 20_000;
    for (let stream = 0; stream < 2000; stream++) {
      await memoryStore.append(
        `account-${stream}`,
        Array.from({ length: 10 }, () => ({ type: "Deposited" as const, data: benchPayload })),
      );
    }
    const after = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
    const { streamKey, logKey } = await memoryStore.locate("account-7");
    const streamUsage = Number(await admin.call("MEMORY", "USAGE", streamKey, "SAMPLES", "0"));
    const logUsage = Number(await admin.call("MEMORY", "USAGE", logKey, "SAMPLES", "0"));
    const memory = {
      payloadBytes,
      bytesPerEventInfo: Math.round((after - before) / STORED),
      aggregateStreamBytesPerEvent: Math.round(streamUsage / 10),
      logBytesPerEvent: Math.round(logUsage / STORED),
    };
    console.log(
      `memory: payload ${payloadBytes} B/event; Redis used_memory grows ${memory.bytesPerEventInfo} B/event (aggregate stream ${memory.aggregateStreamBytesPerEvent} B + log ${memory.logBytesPerEvent} B, MEMORY USAGE)`,
    );
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      redis: /redis_version:(\S+)/.exec(await admin.info("server"))?.[1],
      appenders: APPENDERS,
      secondsPerMeasurement: SECONDS,
      rounds: 2,
    };
    await mkdir(new URL("./results/", import.meta.url), { recursive: true });
    await writeFile(
      new URL("./results/append.json", import.meta.url),
      `${JSON.stringify({ meta, results, memory }, null, 2)}\n`,
    );
    const table = [
      "| scenario | bare script ev/s | streamstore ev/s | ratio |",
      "| --- | ---: | ---: | ---: |",
      ...results.map(
        (row) =>
          `| ${row.scenario} | ${row.bareEventsPerSecond} | ${row.storeEventsPerSecond} | ${row.ratio} |`,
      ),
    ];
    await writeFile(
      new URL("./results/append.md", import.meta.url),
      `# bench:append\n\n${meta.date}, Node ${meta.node}, ${meta.cores} cores, Redis ${meta.redis} (private, no persistence), ${APPENDERS} concurrent appenders on their own connections, ${SECONDS} s per measurement, 2 alternating rounds.\n\nBare = a Lua script doing only the version check and the two XADDs with the same fields, called through ioredis. Target: ratio >= 0.8.\n\n${table.join("\n")}\n\nMemory: payload ${payloadBytes} B of JSON per event; Redis used_memory grows ${memory.bytesPerEventInfo} B per event (the event is stored twice: aggregate stream ${memory.aggregateStreamBytesPerEvent} B/event, category log ${memory.logBytesPerEvent} B/event, from MEMORY USAGE).\n`,
    );
  } finally {
    for (const client of clients) client.disconnect();
    admin.disconnect();
    await server.stop();
  }
}

await main();
