import { isAscii, utf8ToByteString } from "./byteString.js";
import type { Database, RedisValue } from "./Database.js";
import type { FakeRedisServer } from "./FakeRedisServer.js";
import { RedisStream } from "./RedisStream.js";
import { parseStrictStreamId } from "./StreamId.js";

/**
 * A frozen copy of a fake's data: every database with keys, values (streams with their groups,
 * consumers and PELs), TTLs, plus the cached scripts and function libraries. Opaque: take one with `fake.snapshot()`,
 * start from it with `createFakeRedis({ snapshot })` or go back to it with
 * `fake.restoreSnapshot()`.
 *
 * @example
 * ```ts
 * const snapshot = fake.snapshot();
 * const other = createFakeRedis({ snapshot });
 * ```
 */
export interface FakeRedisSnapshot {
  readonly databases: readonly (readonly SnapshotKey[])[];
  readonly scripts: readonly string[];
  /** The code of each loaded function library (absent in snapshots taken before functions). */
  readonly functions?: readonly string[];
  /** Whether the data may hold bytes above 127 (the server's `nonAsciiSeen`); absent = maybe. */
  readonly nonAscii?: boolean;
}

interface SnapshotKey {
  readonly key: string;
  readonly value: RedisValue;
  readonly expireAt: number | undefined;
}

/**
 * Plain seed data for `createFakeRedis({ data })`, for database 0: a string, or a tagged hash,
 * set, sorted set, list or stream. Stream entries need explicit ids.
 *
 * @example
 * ```ts
 * const data: FakeRedisData = {
 *   greeting: "hello",
 *   user: { hash: { name: "Ada" } },
 *   events: { stream: [["1-1", { type: "created" }]] },
 * };
 * ```
 */
export type FakeRedisData = Readonly<
  Record<
    string,
    | string
    | { readonly hash: Readonly<Record<string, string>> }
    | { readonly set: readonly string[] }
    | { readonly zset: Readonly<Record<string, number>> }
    | { readonly list: readonly string[] }
    | {
        readonly stream: readonly (readonly [
          id: string,
          fields: Readonly<Record<string, string>>,
        ])[];
      }
  >
>;

function copyValue(value: RedisValue): RedisValue {
  switch (value.type) {
    case "string":
      return { type: "string", value: value.value };
    case "hash":
      return { type: "hash", value: new Map(value.value) };
    case "set":
      return { type: "set", value: new Set(value.value) };
    case "zset":
      return { type: "zset", value: new Map(value.value) };
    case "list":
      return { type: "list", value: [...value.value] };
    case "stream":
      return { type: "stream", value: value.value.clone() };
  }
}

/**
 * Deep-copies the server's data into a snapshot.
 *
 * @example
 * ```ts
 * const snapshot = takeSnapshot(server);
 * ```
 */
export function takeSnapshot(server: FakeRedisServer): FakeRedisSnapshot {
  const now = server.clock.now();
  const databases: SnapshotKey[][] = [];
  for (let index = 0; index < server.databaseCount; index++) {
    const database = server.database(index);
    const keys: SnapshotKey[] = [];
    for (const [key, value] of database.liveKeys(now)) {
      keys.push({ key, value: copyValue(value), expireAt: database.expireAt(key) });
    }
    databases.push(keys);
  }
  return {
    databases,
    scripts: server.scripts.bodies(),
    functions: server.functions.codes(),
    nonAscii: server.nonAsciiSeen,
  };
}

/**
 * Replaces the server's data with a deep copy of a snapshot.
 *
 * @example
 * ```ts
 * restoreSnapshot(server, snapshot);
 * ```
 */
export function restoreSnapshot(server: FakeRedisServer, snapshot: FakeRedisSnapshot): void {
  server.replaceDatabases((database: Database) => {
    for (const item of snapshot.databases[database.index] ?? []) {
      database.set(item.key, copyValue(item.value), false);
      database.setExpireAt(item.key, item.expireAt);
    }
  });
  server.scripts.flush();
  for (const body of snapshot.scripts) server.scripts.load(body);
  server.functions.flush();
  for (const code of snapshot.functions ?? []) server.functions.load(code, false);
  if (snapshot.nonAscii !== false) server.nonAsciiSeen = true;
}

/**
 * Loads plain seed data into database 0.
 *
 * @example
 * ```ts
 * seedData(server, { greeting: "hello" });
 * ```
 */
export function seedData(server: FakeRedisServer, data: FakeRedisData): void {
  const database = server.database(0);
  // Seed text is JS text: stored as its UTF-8 bytes, as if ioredis had sent it.
  const bytes = (text: string): string => {
    if (isAscii(text)) return text;
    server.nonAsciiSeen = true;
    return utf8ToByteString(text);
  };
  const entries = (record: Readonly<Record<string, string>>): [string, string][] =>
    Object.entries(record).map(([field, value]) => [bytes(field), bytes(value)]);
  for (const [seedKey, seed] of Object.entries(data)) {
    const key = bytes(seedKey);
    if (typeof seed === "string") {
      database.set(key, { type: "string", value: bytes(seed) }, false);
    } else if ("hash" in seed) {
      database.set(key, { type: "hash", value: new Map(entries(seed.hash)) }, false);
    } else if ("set" in seed) {
      database.set(key, { type: "set", value: new Set(seed.set.map(bytes)) }, false);
    } else if ("zset" in seed) {
      const zset = new Map(
        Object.entries(seed.zset).map(([member, score]) => [bytes(member), score]),
      );
      database.set(key, { type: "zset", value: zset }, false);
    } else if ("list" in seed) {
      database.set(key, { type: "list", value: seed.list.map(bytes) }, false);
    } else {
      const stream = new RedisStream();
      for (const [idText, fields] of seed.stream) {
        const id = parseStrictStreamId(idText);
        if (id <= stream.lastId) {
          throw new RangeError(
            `[streamstore] seed stream "${seedKey}" has ids out of order at ${idText}: give ids in increasing order.`,
          );
        }
        stream.append(id, entries(fields).flat());
      }
      database.set(key, { type: "stream", value: stream }, false);
    }
  }
}
