/**
 * Throughput of the in-memory fake against ioredis talking to a local Redis, in one run:
 * XADD, XRANGE COUNT 100 from random positions of a 100,000-entry stream, XREADGROUP COUNT 100,
 * plus a scaling check (XRANGE COUNT 100 on 1k, 100k and 1M entries: the cost must not grow with
 * the stream's length). Writes benchmarks/results/fake.json and fake.md.
 *
 * Run: `pnpm bench:fake` (starts a private redis-server, or uses REDIS_URL with a random key
 * prefix that it deletes afterwards). A benchmark, not a test: it asserts nothing.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFakeRedis, type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";

type Side = "fake" | "redis";

interface Measurement {
  workload: string;
  side: Side;
  ops: number;
  seconds: number;
  opsPerSecond: number;
  microsPerOp: number;
}

interface ScalingPoint {
  side: Side;
  entries: number;
  opsPerSecond: number;
  microsPerOp: number;
  /** µs/op relative to the 1k-entry stream of the same side. */
  relativeTo1k: number;
}

/** How long each measurement runs, after its warm-up. */
const MEASURE_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const WARMUP_OPS = 300;
const STREAM_LENGTH = 100_000;
const SCALING_LENGTHS = [1_000, 100_000, 1_000_000];
const PAGE = 100;
const PAYLOAD = JSON.stringify({
  orderId: "o-123456",
  amount: 2999,
  currency: "EUR",
  note: "x".repeat(120),
});

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "results");

async function measure(
  workload: string,
  side: Side,
  operation: (index: number) => Promise<unknown>,
): Promise<Measurement> {
  for (let index = 0; index < WARMUP_OPS; index++) await operation(index);
  let ops = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(MEASURE_SECONDS * 1e9));
  let now = started;
  while (now < deadline) {
    for (let batch = 0; batch < 50; batch++) await operation(WARMUP_OPS + ops++);
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - started) / 1e9;
  const measurement = {
    workload,
    side,
    ops,
    seconds,
    opsPerSecond: ops / seconds,
    microsPerOp: (seconds * 1e6) / ops,
  };
  console.log(
    `${workload.padEnd(34)} ${side.padEnd(5)} ${Math.round(measurement.opsPerSecond).toString().padStart(9)} ops/s  ${measurement.microsPerOp.toFixed(1).padStart(8)} µs/op`,
  );
  return measurement;
}

/** Appends `count` entries with ids `1-0 … count-0`, in pipelined batches. */
async function seedStream(client: Redis, key: string, count: number): Promise<void> {
  const batchSize = 1_000;
  for (let start = 1; start <= count; start += batchSize) {
    const pipeline = client.pipeline();
    for (let id = start; id < start + batchSize && id <= count; id++) {
      pipeline.xadd(key, `${id}-0`, "type", "OrderPlaced", "data", PAYLOAD);
    }
    await pipeline.exec();
  }
}

function randomStart(length: number): string {
  return `${1 + Math.floor(Math.random() * (length - PAGE))}-0`;
}

async function runWorkloads(client: Redis, side: Side, prefix: string): Promise<Measurement[]> {
  const measurements: Measurement[] = [];

  const appendKey = `${prefix}append`;
  measurements.push(
    await measure("XADD * (3 fields)", side, () =>
      client.xadd(appendKey, "*", "type", "OrderPlaced", "data", PAYLOAD, "v", "1"),
    ),
  );
  await client.del(appendKey);

  const streamKey = `${prefix}stream`;
  await seedStream(client, streamKey, STREAM_LENGTH);
  measurements.push(
    await measure("XRANGE COUNT 100 (100k entries)", side, () =>
      client.xrange(streamKey, randomStart(STREAM_LENGTH), "+", "COUNT", PAGE),
    ),
  );

  // A group is drained after STREAM_LENGTH / PAGE reads: the next one starts a fresh group.
  let group = 0;
  await client.xgroup("CREATE", streamKey, `g${group}`, "0");
  measurements.push(
    await measure("XREADGROUP COUNT 100, no XACK", side, async () => {
      const reply = await client.xreadgroup(
        "GROUP",
        `g${group}`,
        "worker",
        "COUNT",
        PAGE,
        "STREAMS",
        streamKey,
        ">",
      );
      if (reply === null) {
        await client.xgroup("DESTROY", streamKey, `g${group}`);
        group += 1;
        await client.xgroup("CREATE", streamKey, `g${group}`, "0");
      }
      return reply;
    }),
  );
  // The usual worker loop: read a page, acknowledge it, so that the pending list stays small.
  group += 1;
  await client.xgroup("CREATE", streamKey, `g${group}`, "0");
  measurements.push(
    await measure("XREADGROUP COUNT 100 + XACK", side, async () => {
      const reply = (await client.xreadgroup(
        "GROUP",
        `g${group}`,
        "worker",
        "COUNT",
        PAGE,
        "STREAMS",
        streamKey,
        ">",
      )) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length > 0) {
        await client.xack(streamKey, `g${group}`, ...entries.map(([id]) => id));
      } else {
        await client.xgroup("SETID", streamKey, `g${group}`, "0");
      }
      return reply;
    }),
  );
  await client.del(streamKey);
  return measurements;
}

async function runScaling(client: Redis, side: Side, prefix: string): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const entries of SCALING_LENGTHS) {
    const key = `${prefix}scale:${entries}`;
    const seeded = Date.now();
    await seedStream(client, key, entries);
    console.log(`  seeded ${entries} entries (${side}) in ${Date.now() - seeded} ms`);
    const measurement = await measure(`XRANGE COUNT 100 (${entries} entries)`, side, () =>
      client.xrange(key, randomStart(entries), "+", "COUNT", PAGE),
    );
    await client.del(key);
    const base = points[0]?.microsPerOp ?? measurement.microsPerOp;
    points.push({
      side,
      entries,
      opsPerSecond: measurement.opsPerSecond,
      microsPerOp: measurement.microsPerOp,
      relativeTo1k: measurement.microsPerOp / base,
    });
  }
  return points;
}

function formatNumber(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function toMarkdown(report: Report): string {
  const lines = [
    "# Fake vs Redis benchmark",
    "",
    `${report.date} · Node ${report.node} · ${report.cores} cores (${report.cpu}) · Redis ${report.redisVersion} · ${report.measureSeconds} s per measurement`,
    "",
    "Sequential awaited calls through the ioredis API (one command in flight), so the Redis side",
    "includes a loopback round trip per call; the fake's includes none. The XREADGROUP workloads",
    "read the 100k-entry stream with one consumer; without XACK the group's pending list grows by",
    "100 entries per call (to 100k before a fresh group starts), with XACK it stays at 100.",
    "",
    "| workload | fake ops/s | Redis ops/s | fake / Redis |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const row of report.workloads) {
    lines.push(
      `| ${row.workload} | ${formatNumber(row.fake.opsPerSecond)} | ${formatNumber(row.redis.opsPerSecond)} | ${row.ratio.toPrecision(3)} |`,
    );
  }
  lines.push(
    "",
    "## Scaling: XRANGE COUNT 100 from a random position",
    "",
    "| entries | fake µs/op | fake vs 1k | Redis µs/op | Redis vs 1k |",
    "| ---: | ---: | ---: | ---: | ---: |",
  );
  for (const entries of SCALING_LENGTHS) {
    const fake = report.scaling.find((point) => point.side === "fake" && point.entries === entries);
    const redis = report.scaling.find(
      (point) => point.side === "redis" && point.entries === entries,
    );
    lines.push(
      `| ${formatNumber(entries)} | ${fake?.microsPerOp.toFixed(1) ?? "–"} | ${fake ? `${fake.relativeTo1k.toFixed(2)}×` : "–"} | ${redis?.microsPerOp.toFixed(1) ?? "–"} | ${redis ? `${redis.relativeTo1k.toFixed(2)}×` : "–"} |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

interface Report {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  totalMemoryGiB: number;
  redisVersion: string;
  redisSource: "private redis-server" | "REDIS_URL";
  measureSeconds: number;
  workloads: { workload: string; fake: Measurement; redis: Measurement; ratio: number }[];
  scaling: ScalingPoint[];
}

async function main(): Promise<void> {
  const server: RedisServerHandle | undefined = process.env.REDIS_URL
    ? undefined
    : await startRedisServer();
  const url = process.env.REDIS_URL ?? server?.url ?? "";
  const real = new Redis(url);
  const fake: Redis = createFakeRedis();
  const prefix = `bench:${randomBytes(6).toString("hex")}:`;
  try {
    const info = await real.info("server");
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
    console.log(`fake vs Redis ${redisVersion} at ${url}, ${MEASURE_SECONDS} s per measurement`);

    const fakeMeasurements = await runWorkloads(fake, "fake", prefix);
    const redisMeasurements = await runWorkloads(real, "redis", prefix);
    const workloads = fakeMeasurements.map((fakeMeasurement, index) => {
      const redisMeasurement = redisMeasurements[index] as Measurement;
      return {
        workload: fakeMeasurement.workload,
        fake: fakeMeasurement,
        redis: redisMeasurement,
        ratio: fakeMeasurement.opsPerSecond / redisMeasurement.opsPerSecond,
      };
    });

    console.log("scaling:");
    const scaling = [
      ...(await runScaling(fake, "fake", prefix)),
      ...(await runScaling(real, "redis", prefix)),
    ];

    const report: Report = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      totalMemoryGiB: Math.round(totalmem() / 2 ** 30),
      redisVersion,
      redisSource: server ? "private redis-server" : "REDIS_URL",
      measureSeconds: MEASURE_SECONDS,
      workloads,
      scaling,
    };
    await mkdir(resultsDir, { recursive: true });
    await writeFile(join(resultsDir, "fake.json"), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = toMarkdown(report);
    await writeFile(join(resultsDir, "fake.md"), markdown);
    console.log(`\n${markdown}`);
  } finally {
    // With REDIS_URL, only this run's keys go: never a FLUSHDB on a database we did not create.
    let cursor = "0";
    do {
      const [next, keys] = await real.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await real.del(...keys);
    } while (cursor !== "0");
    await real.quit();
    await fake.quit().catch(() => fake.disconnect());
    await server?.stop();
  }
}

await main();
