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
import { defineEvents, getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { z } from "zod";

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const SECONDS = argument("seconds", 3);
const APPENDERS = argument("appenders", 64);
const STREAMS = 10_000;

// The bare minimum an atomic append needs: read the version, compare, two XADDs per event.
const BARE_SCRIPT = `
local current = 0
local last = redis.call("XREVRANGE", KEYS[1], "+", "-", "COUNT", 1)
if #last > 0 then current = tonumber(string.match(last[1][1], "^(%d+)%-")) end
if ARGV[1] ~= "any" and tonumber(ARGV[1]) ~= current then return {"conflict", current} end
local n = tonumber(ARGV[3])
for k = 1, n do
  local o = 4 + (k - 1) * 3
  local v = current + k
  local p = redis.call("XADD", KEYS[2], "*", "i", ARGV[o], "t", ARGV[o + 1], "d", ARGV[o + 2], "a", ARGV[2], "v", v)
  redis.call("XADD", KEYS[1], v .. "-0", "i", ARGV[o], "t", ARGV[o + 1], "d", ARGV[o + 2], "p", p)
end
return {"ok", current + n}
`;

const events = defineEvents({
  Deposited: z.object({ amount: z.number(), currency: z.string(), note: z.string() }),
});
const payload = { amount: 42.5, currency: "EUR", note: "x".repeat(150) };
const payloadBytes = Buffer.byteLength(JSON.stringify(payload));

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

type AppendFn = (
  appender: number,
  stream: number,
  version: number | "any",
  n: number,
) => Promise<void>;

async function measure(clients: Redis[], scenario: Scenario, append: AppendFn): Promise<number> {
  // Each appender owns a disjoint slice of the streams, so exact expected versions never
  // conflict; the hot stream uses "any" (64 exact writers would only measure retries).
  const versions = new Map<number, number>();
  let appended = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    clients.map(async (_, appender) => {
      let turn = 0;
      while (performance.now() < deadline) {
        const stream = scenario.hot
          ? -1
          : appender + APPENDERS * (turn++ % Math.floor(STREAMS / APPENDERS));
        const version = scenario.hot ? "any" : (versions.get(stream) ?? 0);
        await append(appender, stream, version, scenario.eventsPerAppend);
        if (!scenario.hot) versions.set(stream, (version as number) + scenario.eventsPerAppend);
        appended += scenario.eventsPerAppend;
      }
    }),
  );
  return appended / ((performance.now() - started) / 1000);
}

async function main() {
  const server = await startRedisServer();
  const clients = Array.from({ length: APPENDERS }, () => new Redis(server.url));
  const admin = new Redis(server.url);
  const results: Record<string, unknown>[] = [];
  try {
    for (const client of clients)
      client.defineCommand("bareAppend", { numberOfKeys: 2, lua: BARE_SCRIPT });
    let run = 0;
    for (const scenario of scenarios) {
      const bareRates: number[] = [];
      const storeRates: number[] = [];
      // A B A B: this machine is shared and noisy, so both sides see the same conditions.
      for (let round = 0; round < 2; round++) {
        const barePrefix = `bare${run}`;
        const runBare = async () =>
          bareRates.push(
            await measure(clients, scenario, async (appender, stream, version, n) => {
              const args: (string | number)[] = [
                `${barePrefix}:{account:0}:s:${stream}`,
                `${barePrefix}:{account:0}:log`,
                version,
                String(stream),
                n,
              ];
              for (let k = 0; k < n; k++)
                args.push(crypto.randomUUID(), "Deposited", JSON.stringify(payload));
              await (
                clients[appender] as unknown as { bareAppend(...a: unknown[]): Promise<unknown> }
              ).bareAppend(...args);
            }),
          );
        const stores = clients.map((redis) =>
          getRedisEventStore({
            redis,
            events,
            prefix: `store${run}`,
            logger: silentLogger,
            serverCheck: "off",
          }),
        );
        const runStore = async () =>
          storeRates.push(
            await measure(clients, scenario, async (appender, stream, version, n) => {
              await stores[appender]?.append(
                `account-${stream}`,
                Array.from({ length: n }, () => ({ type: "Deposited" as const, data: payload })),
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
      events,
      prefix: "mem",
      logger: silentLogger,
    });
    const STORED = 20_000;
    for (let stream = 0; stream < 2000; stream++) {
      await memoryStore.append(
        `account-${stream}`,
        Array.from({ length: 10 }, () => ({ type: "Deposited" as const, data: payload })),
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
