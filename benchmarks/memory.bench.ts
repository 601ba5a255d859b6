/**
 * pnpm bench:memory — what Redis holds per event under storage layout 2 (issue 12): the growth
 * of `used_memory` per event appended through the public API (`getRedisEventStore().append` of
 * 1-event batches with exact expected versions), at 1, 3, 10 and 100 events per aggregate, for
 * 192 B and 1 KB JSON payloads, beside a bare one-copy floor measured in the same run on the same
 * server: one XADD per event into one stream with the fields of the toolkit's log entry
 * (i, t, d, a, v). Then 1,000,000 events over 300,000 aggregates of a skewed, seeded mix.
 * Every row runs on a fresh private redis-server (floor first, FLUSHALL, then the store).
 * Writes benchmarks/results/memory.{json,md}.
 *
 * Flags: --events N (per row, default 60,000), --mix-events N (default 1,000,000),
 * --mix-aggregates N (default 300,000), --appenders N (default 64).
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { getRedisEventStore, silentLogger } from "@streamstore/core";
import { startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { benchEvents, payloadOfBytes } from "./support/benchEvents.js";
import { benchFlag } from "./support/benchFlag.js";
import { infoNumber, redisVersion } from "./support/redisInfo.js";
import { seededRandom, shuffle } from "./support/seededRandom.js";

const EVENTS = benchFlag("events", 60_000);
const MIX_EVENTS = benchFlag("mix-events", 1_000_000);
const MIX_AGGREGATES = benchFlag("mix-aggregates", 300_000);
const APPENDERS = benchFlag("appenders", 64);
const PREFIX = "ss";
const CATEGORY = "account";
const PAYLOAD_SIZES = [192, 1024];
const PER_AGGREGATE = [1, 3, 10, 100];
// The mix: payload sizes and their weights (skewed towards small events), and the seed.
const MIX_SIZES = [
  { bytes: 192, weight: 0.6 },
  { bytes: 512, weight: 0.3 },
  { bytes: 1024, weight: 0.1 },
];
const SEED = 12;
// Issue 12's targets, at 192 B payloads: used_memory per event / payload bytes.
const TARGETS: Record<number, number> = { 1: 2.0, 10: 1.6 };
// The "before" table of issue 12: the previous layout (a Redis stream per aggregate beside the
// category log, each event stored twice), 192 B payloads, measured 2026-12-02. Not this run.
const PREVIOUS = {
  measured: "2026-12-02",
  layout: "1: a Redis stream per aggregate + the category log (each event stored twice)",
  payloadBytes: 192,
  rows: [
    { perAggregate: 1, bytesPerEvent: 4641, timesPayload: 24.2, floorBytesPerEvent: 258 },
    { perAggregate: 3, bytesPerEvent: 1727, timesPayload: 9.0, floorBytesPerEvent: 256 },
    { perAggregate: 10, bytesPerEvent: 713, timesPayload: 3.7, floorBytesPerEvent: 257 },
    { perAggregate: 100, bytesPerEvent: 559, timesPayload: 2.9, floorBytesPerEvent: 257 },
  ],
};

/** One event to append: aggregate number and payload JSON. */
interface PlannedEvent {
  aggregate: number;
  payload: number;
}
/** Who appends what: per appender, its events in order (its aggregates are its own). */
interface LoadPlan {
  aggregates: number;
  payloads: ReturnType<typeof payloadOfBytes>[];
  perAppender: PlannedEvent[][];
}

/** `perAggregate` events for each of `events / perAggregate` aggregates, round by round. */
function uniformPlan(events: number, perAggregate: number, bytes: number): LoadPlan {
  const aggregates = Math.floor(events / perAggregate);
  const perAppender: PlannedEvent[][] = Array.from({ length: APPENDERS }, () => []);
  for (let round = 0; round < perAggregate; round++) {
    for (let aggregate = 0; aggregate < aggregates; aggregate++) {
      perAppender[aggregate % APPENDERS]?.push({ aggregate, payload: 0 });
    }
  }
  return { aggregates, payloads: [payloadOfBytes(bytes)], perAppender };
}

/**
 * The mix: every aggregate gets one event; each further event goes to aggregate
 * floor(aggregates * u^3) (u uniform), a heavy head and a long tail of small aggregates. Each
 * event's payload size is drawn from MIX_SIZES. Each appender's events are shuffled, so an
 * aggregate's events are spread over the whole load as in a live system.
 */
function mixPlan(events: number, aggregates: number) {
  const random = seededRandom(SEED);
  const sizes = new Int32Array(aggregates).fill(1);
  for (let extra = aggregates; extra < events; extra++) {
    const aggregate = Math.min(aggregates - 1, Math.floor(aggregates * random() ** 3));
    sizes[aggregate] = (sizes[aggregate] ?? 0) + 1;
  }
  const perAppender: PlannedEvent[][] = Array.from({ length: APPENDERS }, () => []);
  const pickPayload = () => {
    let u = random();
    for (let index = 0; index < MIX_SIZES.length; index++) {
      u -= MIX_SIZES[index]?.weight ?? 0;
      if (u < 0) return index;
    }
    return MIX_SIZES.length - 1;
  };
  for (let aggregate = 0; aggregate < aggregates; aggregate++) {
    for (let k = 0; k < (sizes[aggregate] ?? 0); k++) {
      perAppender[aggregate % APPENDERS]?.push({ aggregate, payload: pickPayload() });
    }
  }
  for (const list of perAppender) shuffle(list, random);
  const sorted = [...sizes].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  let payloadBytes = 0;
  for (const list of perAppender) {
    for (const event of list) payloadBytes += MIX_SIZES[event.payload]?.bytes ?? 0;
  }
  return {
    plan: {
      aggregates,
      payloads: MIX_SIZES.map(({ bytes }) => payloadOfBytes(bytes)),
      perAppender,
    } satisfies LoadPlan,
    stats: {
      eventsPerAggregate: {
        median: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: sorted[sorted.length - 1],
        singleEventShare: Number(
          (sorted.filter((size) => size === 1).length / aggregates).toFixed(3),
        ),
      },
      meanPayloadBytes: Number((payloadBytes / events).toFixed(1)),
    },
  };
}

async function usedMemory(admin: Redis): Promise<number> {
  return infoNumber(admin, "memory", "used_memory");
}

// Loader connections are closed before `used_memory` is read again, so their buffers are not
// counted: wait until only the admin connection is left.
async function closeAll(admin: Redis, clients: Redis[]): Promise<void> {
  await Promise.all(clients.map((client) => client.quit()));
  while ((await infoNumber(admin, "clients", "connected_clients")) > 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The floor: the same events, one XADD each into one stream, pipelined 1,000 at a time. */
async function loadFloor(url: string, admin: Redis, plan: LoadPlan): Promise<number> {
  const loader = new Redis(url);
  const versions = new Int32Array(plan.aggregates);
  const payloads = plan.payloads.map((payload) => JSON.stringify(payload));
  const longest = Math.max(...plan.perAppender.map((list) => list.length));
  let pipeline = loader.pipeline();
  let queued = 0;
  let events = 0;
  // Round-robin over the appenders' lists: the order the store side roughly appends in.
  for (let index = 0; index < longest; index++) {
    for (const list of plan.perAppender) {
      const event = list[index];
      if (!event) continue;
      const version = (versions[event.aggregate] ?? 0) + 1;
      versions[event.aggregate] = version;
      pipeline.xadd(
        `floor:{${CATEGORY}:0}:log`,
        "*",
        "i",
        randomUUID(),
        "t",
        "Deposited",
        "d",
        payloads[event.payload] as string,
        "a",
        String(event.aggregate),
        "v",
        String(version),
      );
      events += 1;
      if (++queued === 1000) {
        await pipeline.exec();
        pipeline = loader.pipeline();
        queued = 0;
      }
    }
  }
  if (queued > 0) await pipeline.exec();
  await closeAll(admin, [loader]);
  return events;
}

/** The store: `APPENDERS` loops, each on its own connection, 1-event appends, exact versions. */
async function loadStore(url: string, admin: Redis, plan: LoadPlan): Promise<number> {
  const clients = Array.from({ length: APPENDERS }, () => new Redis(url));
  const versions = new Int32Array(plan.aggregates);
  let events = 0;
  await Promise.all(
    clients.map(async (redis, appender) => {
      const store = getRedisEventStore({
        redis,
        events: benchEvents,
        prefix: PREFIX,
        logger: silentLogger,
        serverCheck: "off",
      });
      for (const event of plan.perAppender[appender] ?? []) {
        const version = versions[event.aggregate] ?? 0;
        await store.append(
          `${CATEGORY}-${event.aggregate}`,
          [{ type: "Deposited", data: plan.payloads[event.payload] as never }],
          { expectedVersion: version },
        );
        versions[event.aggregate] = version + 1;
        events += 1;
      }
    }),
  );
  await closeAll(admin, clients);
  return events;
}

interface Measured {
  events: number;
  aggregates: number;
  floorBytes: number;
  storeBytes: number;
  storeSeconds: number;
  /** STRLEN and MEMORY USAGE of aggregate 0's index. */
  indexLength: number;
  indexUsage: number;
}

/** Floor and store of one plan on a fresh private redis-server. */
async function measurePlan(plan: LoadPlan): Promise<Measured> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  try {
    let before = await usedMemory(admin);
    const floorEvents = await loadFloor(server.url, admin, plan);
    const floorBytes = (await usedMemory(admin)) - before;
    await admin.flushall("SYNC");
    // One append to another category of the prefix before the baseline: it loads the append
    // script into the script cache and records the prefix's layout, so the baseline holds
    // everything but the events.
    const warm = getRedisEventStore({
      redis: admin,
      events: benchEvents,
      prefix: PREFIX,
      logger: silentLogger,
      serverCheck: "off",
    });
    await warm.append("warm-0", [{ type: "Deposited", data: plan.payloads[0] as never }]);
    before = await usedMemory(admin);
    const started = performance.now();
    const events = await loadStore(server.url, admin, plan);
    const storeSeconds = (performance.now() - started) / 1000;
    const storeBytes = (await usedMemory(admin)) - before;
    if (events !== floorEvents) throw new Error(`floor ${floorEvents} events, store ${events}`);
    const logKey = `${PREFIX}:{${CATEGORY}:0}:log`;
    const logLength = await admin.xlen(logKey);
    if (logLength !== events) throw new Error(`the log holds ${logLength} events, not ${events}`);
    // The store keeps the payload's JSON as it is: `d` has the bytes the row is named by.
    const [[, fields] = ["", []]] = await admin.xrange(logKey, "-", "+", "COUNT", 1);
    const data = fields[fields.indexOf("d") + 1] ?? "";
    if (!plan.payloads.some((payload) => JSON.stringify(payload) === data))
      throw new Error(`the log's d is not a payload of the plan: ${data.slice(0, 80)}`);
    // One aggregate's index, as Redis sizes it: the records plus APPEND's growth slack.
    const indexKey = `${PREFIX}:{${CATEGORY}:0}:i:0`;
    const indexLength = await admin.strlen(indexKey);
    const indexUsage = Number(await admin.call("MEMORY", "USAGE", indexKey, "SAMPLES", "0"));
    return {
      events,
      aggregates: plan.aggregates,
      floorBytes,
      storeBytes,
      storeSeconds,
      indexLength,
      indexUsage,
    };
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

const fixed = (value: number, digits: number) => Number(value.toFixed(digits));

async function main() {
  // The stored `d` is the payload's JSON: check the sizes the rows are named by.
  for (const bytes of [...PAYLOAD_SIZES, ...MIX_SIZES.map((size) => size.bytes)]) {
    const length = Buffer.byteLength(JSON.stringify(payloadOfBytes(bytes)));
    if (length !== bytes) throw new Error(`payload of ${bytes} B is ${length} B`);
  }
  const rows: Record<string, number | boolean | null>[] = [];
  for (const payloadBytes of PAYLOAD_SIZES) {
    for (const perAggregate of PER_AGGREGATE) {
      const m = await measurePlan(uniformPlan(EVENTS, perAggregate, payloadBytes));
      const bytesPerEvent = m.storeBytes / m.events;
      const floorPerEvent = m.floorBytes / m.events;
      const target = payloadBytes === 192 ? TARGETS[perAggregate] : undefined;
      const row = {
        payloadBytes,
        perAggregate,
        events: m.events,
        aggregates: m.aggregates,
        bytesPerEvent: Math.round(bytesPerEvent),
        timesPayload: fixed(bytesPerEvent / payloadBytes, 2),
        floorBytesPerEvent: Math.round(floorPerEvent),
        ratioToFloor: fixed(bytesPerEvent / floorPerEvent, 2),
        overFloorBytesPerAggregate: Math.round((m.storeBytes - m.floorBytes) / m.aggregates),
        indexStrlen: m.indexLength,
        indexMemoryUsage: m.indexUsage,
        appendsPerSecond: Math.round(m.events / m.storeSeconds),
        targetTimesPayload: target ?? null,
        targetMet: target === undefined ? null : bytesPerEvent / payloadBytes <= target,
      };
      rows.push(row);
      console.log(
        `${payloadBytes} B, ${String(perAggregate).padStart(3)} ev/aggregate: ${row.bytesPerEvent} B/event (${row.timesPayload}x payload), floor ${row.floorBytesPerEvent} B/event, ratio ${row.ratioToFloor}; over the floor ${row.overFloorBytesPerAggregate} B/aggregate${target === undefined ? "" : `; target <= ${target}x: ${row.targetMet ? "met" : "MISSED"}`}`,
      );
    }
  }

  const generated = performance.now();
  const mix = mixPlan(MIX_EVENTS, MIX_AGGREGATES);
  console.log(
    `mix: ${MIX_EVENTS} events over ${MIX_AGGREGATES} aggregates, ${JSON.stringify(mix.stats)} (planned in ${Math.round(performance.now() - generated)} ms)`,
  );
  const m = await measurePlan(mix.plan);
  const mixResult = {
    events: m.events,
    aggregates: m.aggregates,
    seed: SEED,
    payloadSizes: MIX_SIZES,
    ...mix.stats,
    storeMB: fixed(m.storeBytes / 1e6, 1),
    floorMB: fixed(m.floorBytes / 1e6, 1),
    overFloorMB: fixed((m.storeBytes - m.floorBytes) / 1e6, 1),
    payloadMB: fixed((mix.stats.meanPayloadBytes * m.events) / 1e6, 1),
    bytesPerEvent: Math.round(m.storeBytes / m.events),
    timesPayload: fixed(m.storeBytes / m.events / mix.stats.meanPayloadBytes, 2),
    ratioToFloor: fixed(m.storeBytes / m.floorBytes, 2),
    loadSeconds: fixed(m.storeSeconds, 1),
    appendsPerSecond: Math.round(m.events / m.storeSeconds),
  };
  console.log(
    `mix: store ${mixResult.storeMB} MB (${mixResult.overFloorMB} MB over the floor), floor ${mixResult.floorMB} MB, ratio ${mixResult.ratioToFloor}; ${mixResult.bytesPerEvent} B/event = ${mixResult.timesPayload}x the mean payload; loaded in ${mixResult.loadSeconds} s`,
  );

  const probe = await startRedisServer();
  const probeClient = new Redis(probe.url);
  const redis = await redisVersion(probeClient);
  probeClient.disconnect();
  await probe.stop();
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    redis,
    eventsPerRow: EVENTS,
    appenders: APPENDERS,
    loadAverageAtEnd: loadavg().map((value) => fixed(value, 2)),
  };
  await mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await writeFile(
    new URL("./results/memory.json", import.meta.url),
    `${JSON.stringify({ meta, rows, previous: PREVIOUS, mix: mixResult }, null, 2)}\n`,
  );
  const group = (value: number) => value.toLocaleString("en-US");
  const table = [
    "| payload | events / aggregate | aggregates | B / event | × payload | floor B / event | ÷ floor | over the floor, B / aggregate | one index: STRLEN · MEMORY USAGE | target (× payload) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map(
      (row) =>
        `| ${row.payloadBytes} B | ${row.perAggregate} | ${group(Number(row.aggregates))} | ${group(Number(row.bytesPerEvent))} | ${row.timesPayload} | ${row.floorBytesPerEvent} | ${row.ratioToFloor} | ${row.overFloorBytesPerAggregate} | ${row.indexStrlen} · ${row.indexMemoryUsage} | ${row.targetTimesPayload === null ? "" : `≤ ${row.targetTimesPayload}: ${row.targetMet ? "**met**" : "**missed**"}`} |`,
    ),
  ];
  const previousTable = [
    "| payload | events / aggregate | B / event | × payload | floor B / event |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...PREVIOUS.rows.map(
      (row) =>
        `| ${PREVIOUS.payloadBytes} B | ${row.perAggregate} | ${group(row.bytesPerEvent)} | ${row.timesPayload.toFixed(1)} | ${row.floorBytesPerEvent} |`,
    ),
  ];
  const s = mix.stats.eventsPerAggregate;
  const md = `# bench:memory

${meta.date}, Node ${meta.node}, ${meta.cores} cores (${meta.cpu}), Redis ${meta.redis} (private, no persistence, defaults: stream-node-max-entries 100, stream-node-max-bytes 4096). The machine is shared with other work; memory figures do not depend on its load (load average at the end: ${meta.loadAverageAtEnd.join(", ")}).

Each row runs on a fresh private redis-server. First the **floor**: the row's events as one XADD each (pipelined) into one stream, with the fields the toolkit's log entry carries (i = a UUID, t, d = the payload JSON, a = aggregate id, v = version): one copy of each event and nothing else. Then FLUSHALL and the **store**: the same events appended through \`getRedisEventStore(...).append\` in 1-event batches with exact expected versions, ${APPENDERS} appenders on their own connections, aggregates \`account-<n>\`, prefix \`${PREFIX}\`, one partition. B / event = growth of INFO \`used_memory\` ÷ events (loader connections closed before reading it; the append script cached before the baseline). × payload = B / event ÷ the payload's JSON bytes. ${group(EVENTS)} events per row, so per-key overheads are averaged over the row's aggregates. Over the floor = (store − floor) ÷ aggregates: what each aggregate costs beyond one copy of its events, i.e. its index string (12 B per event, plus the slack of APPEND's growth), its key name, the keyspace entry (Redis object, dict entry and bucket).

## Layout 2 (this run)

${table.join("\n")}

Targets of issue 12 (192 B payloads): ≤ 2.0× payload at 1 event per aggregate, ≤ 1.6× at 10.

Where the memory goes: the log entry is the floor (a 192 B payload takes ~276 B in a stream: the UUID, type, aggregate id and version beside it, the entry header, and the listpack nodes' allocation slack of up to 4 KB nodes), i.e. already ~1.44× payload before any index. Each aggregate then adds a Redis key (~100 B: its name, the dict entry and bucket, the string object) and its index: 12 B per event, plus the slack of APPEND's greedy growth (Redis roughly doubles a string's allocation as it grows; "one index" shows aggregate 0's index: STRLEN against MEMORY USAGE). At 1 event per aggregate the key dominates, which is why that row sits right at the 2.0× target; from 10 events per aggregate on the index costs ~25 B per event.

The floor in the previous layout's table (256–258 B) is below this run's (276 B); how that floor was built (its ids and fields) is not recorded here, so compare the two tables by × payload and by their ratio to their own floor, not byte for byte.

## Previous layout — historical reference, NOT measured in this run

Issue 12's "before" table: the previous layout (${PREVIOUS.layout}), ${PREVIOUS.payloadBytes} B payloads, measured on ${PREVIOUS.measured}. Copied here as it was reported, for comparison only.

${previousTable.join("\n")}

## 1,000,000 events over 300,000 aggregates

A seeded mix (mulberry32, seed ${SEED}, benchmarks/support/seededRandom.ts): every aggregate has one event, and each of the ${group(MIX_EVENTS - MIX_AGGREGATES)} further events goes to aggregate ⌊${group(MIX_AGGREGATES)} · u³⌋ (u uniform in [0, 1)): events per aggregate median ${s.median}, p90 ${s.p90}, p99 ${s.p99}, max ${group(Number(s.max))}; ${Math.round(s.singleEventShare * 100)}% of the aggregates have a single event. Payloads: ${MIX_SIZES.map((size) => `${size.bytes} B (${Math.round(size.weight * 100)}%)`).join(", ")}, mean ${mix.stats.meanPayloadBytes} B. Each appender's events are shuffled, so an aggregate's events are spread over the whole load. Appended one event per call through the public API, ${APPENDERS} concurrent appenders (${group(mixResult.appendsPerSecond)} appends/s, ${mixResult.loadSeconds} s).

| | MB (10^6 B) |
| --- | ---: |
| payload JSON alone | ${mixResult.payloadMB} |
| floor (one XADD per event, one stream) | ${mixResult.floorMB} |
| **streamstore** | **${mixResult.storeMB}** |
| streamstore − floor (aggregate indexes and their keys) | ${mixResult.overFloorMB} |

${group(mixResult.bytesPerEvent)} B per event = ${mixResult.timesPayload}× the mean payload, ${mixResult.ratioToFloor}× the floor.
`;
  await writeFile(new URL("./results/memory.md", import.meta.url), md);
}

await main();
