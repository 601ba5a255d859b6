import { getRedisEventStore, INDEX_RECORD_BYTES, silentLogger } from "@streamstore/core";
import { keyLayout, partitionOf } from "@streamstore/core/internal";
import { startReactor } from "@streamstore/projections";
import { projectionKeys } from "@streamstore/projections/internal";
import { Redis } from "ioredis";
import { hostileNotes, hostileReactor, noteEvents } from "../fixtures/hostile.config.js";
import { catchUp } from "./catchUp.js";
import { HOSTILE } from "./hostileText.js";

/** {@link HOSTILE} without the characters that end a key-name match (`.` stops at \n, \r, U+2028). */
export const HOSTILE_KEY_TEXT = HOSTILE.replace(/[\n\r\u2028]/g, "_");

/** A category name as anyone with write access to the registry may write it. */
export const HOSTILE_CATEGORY = `cat${HOSTILE}`;

/** What {@link seedHostileText} wrote, for the test's commands and clean-up. */
export interface HostileSeed {
  /** A client of its own; the caller quits it. */
  redis: Redis;
  /** The note category's partition holding note-raw (and the raw keys beside it). */
  partition: number;
  /** Dead-letter ids: hostile-notes' (v1), hostile-reactor's (build rx), rawproj's (raw, under the hostile build). */
  deadLetters: { notes: string; reactor: string; raw: string };
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within 30 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Seeds `prefix` with the probe's hostile text (issue 14), both ways it gets there:
 *
 * - through the public API: note-api's event data and metadata; hostile-notes' handler error and
 *   hostile-reactor's, each in a dead letter;
 * - written raw under the prefix, as a tenant with write access could: a log entry (note-raw)
 *   whose type, id, data and metadata are hostile, with its index record; index keys named with
 *   it (empty, corrupt, not a string); a registry category, a consumer group name, an archive seam
 *   and an archiver lease; a Redis-only projection (rawproj) whose active build, lease owner and
 *   dead letter are hostile.
 *
 * @example
 * const seed = await seedHostileText(redisUrl, prefix);
 */
export async function seedHostileText(redisUrl: string, prefix: string): Promise<HostileSeed> {
  const redis = new Redis(redisUrl);
  const layout = keyLayout(prefix);
  const store = getRedisEventStore({
    redis,
    events: noteEvents,
    prefix,
    serverCheck: "off",
    logger: silentLogger,
  });
  // Public API: a valid event whose string data (and metadata) is hostile.
  await store.append("note-api", [
    { type: "Noted", data: { s: HOSTILE }, metadata: { correlationId: "c-1", note: HOSTILE } },
  ]);
  await catchUp(hostileNotes, { redis, prefix, logger: silentLogger, maxDeliveries: 1 });
  const reactor = startReactor(hostileReactor, {
    redis,
    prefix,
    logger: silentLogger,
    startFrom: "beginning",
    maxDeliveries: 1,
    blockMs: 200,
  });
  try {
    await until(
      async () => (await reactor.deadLetters.list()).length > 0,
      "the reactor's dead letter",
    );
  } finally {
    await reactor.stop();
  }
  const firstId = async (key: string) =>
    ((await redis.xrange(key, "-", "+"))[0]?.[0] ?? "") as string;
  const notes = await firstId(projectionKeys(prefix, "hostile-notes").deadLetters("v1"));
  const reactorLetter = await firstId(projectionKeys(prefix, "hostile-reactor").deadLetters("rx"));

  // Raw writes under the prefix.
  const partitions = Number(await redis.hget(layout.categories(), "note"));
  const partition = partitionOf("raw", partitions);
  const log = layout.log("note", partition);
  const position = (await redis.xadd(
    log,
    "*",
    ...["i", `id ${HOSTILE}`, "t", `T${HOSTILE}`, "d", HOSTILE, "a", "raw", "v", "1", "m", HOSTILE],
  )) as string;
  const [ms, seq] = position.split("-").map(Number) as [number, number];
  const record = Buffer.alloc(INDEX_RECORD_BYTES);
  record.writeUIntBE(ms, 0, 6);
  record.writeUIntBE(seq, 6, 6);
  await redis.set(layout.index("note", partition, "raw"), record);
  await redis.set(layout.index("note", partition, `e${HOSTILE_KEY_TEXT}`), "");
  await redis.set(layout.index("note", partition, `c${HOSTILE_KEY_TEXT}`), "abc");
  await redis.hset(layout.index("note", partition, `h${HOSTILE_KEY_TEXT}`), "f", "v");
  await redis.hset(layout.categories(), HOSTILE_CATEGORY, "1");
  await redis.xgroup("CREATE", log, `g${HOSTILE}`, "$");
  await redis.hset(layout.archived(HOSTILE_CATEGORY, 0), "position", HOSTILE, "events", "3");
  await redis.set(
    layout.archiver(HOSTILE_CATEGORY, 0),
    `${HOSTILE}:0b0f2a52-7a4e-4c1e-9a43-3f1b2d6c8e90`,
  );
  const raw = projectionKeys(prefix, "rawproj");
  await redis.set(raw.active(), HOSTILE);
  await redis.xgroup("CREATE", log, raw.group("v1"), "$");
  for (let each = 0; each < partitions; each++) {
    await redis.set(raw.lease(HOSTILE, `note:${each}`), `owner ${HOSTILE}|token`);
  }
  const rawLetter = (await redis.xadd(
    raw.deadLetters(HOSTILE),
    "*",
    ...["partition", HOSTILE, "entryId", HOSTILE, "reason", HOSTILE, "attempts", "1"],
    ...["error", `raw ${HOSTILE}`, "type", HOSTILE, "entry", HOSTILE, "at", String(Date.now())],
  )) as string;
  return {
    redis,
    partition,
    deadLetters: { notes, reactor: reactorLetter, raw: rawLetter },
  };
}
