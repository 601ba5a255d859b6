import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  coreFunctionLibrary,
  defineEvents,
  getRedisEventStore,
  silentLogger,
} from "@streamstore/core";
import {
  APPEND_SCRIPT,
  ARCHIVE_TRIM_SCRIPT,
  READ_SCRIPT,
  SNAPSHOT_SCRIPT,
  VERSION_SCRIPT,
} from "@streamstore/core/internal";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { until } from "@streamstore/testing/internal";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createProjectionReader,
  defineProjection,
  projectionsFunctionLibrary,
  requestRebuild,
  startProjection,
} from "../src/index.js";
import {
  ACQUIRE_LEASE_SCRIPT,
  COMMIT_SCRIPT,
  DEAD_LETTER_COMMIT_SCRIPT,
  HEARTBEAT_SCRIPT,
  projectionKeys,
  RENEW_LEASE_SCRIPT,
  SWITCH_ACTIVE_BUILD_SCRIPT,
  WRITE_DOCUMENT_SCRIPT,
} from "../src/internal.js";

// Issue 8, security: no user data is ever spliced into Lua source or into a key pattern. On a
// private redis-server (its script cache holds only what this file sends), hostile stream ids,
// event ids, payloads and metadata go through appends, reads, a projection and a rebuild; then
// the server's number_of_cached_scripts must equal the number of the toolkit's constant scripts
// that SCRIPT EXISTS finds: any spliced input would have made a script with a new SHA. The
// sources are also read to check that every script is a constant without interpolation, and
// that every SCAN pattern is built by the one function that refuses glob characters.

const KNOWN_SCRIPTS = {
  APPEND_SCRIPT,
  READ_SCRIPT,
  VERSION_SCRIPT,
  SNAPSHOT_SCRIPT,
  COMMIT_SCRIPT,
  DEAD_LETTER_COMMIT_SCRIPT,
  ACQUIRE_LEASE_SCRIPT,
  RENEW_LEASE_SCRIPT,
  HEARTBEAT_SCRIPT,
  SWITCH_ACTIVE_BUILD_SCRIPT,
  ARCHIVE_TRIM_SCRIPT,
  // eraseSubject's revision-checked write of one read-model document (issue 16)
  WRITE_DOCUMENT_SCRIPT,
};

const events = defineEvents({
  Noted: z.object({ text: z.string() }),
  Anything: z.record(z.string(), z.any()),
});

const HOSTILE_TEXTS = [
  "]]) redis.call('FLUSHALL') --",
  "' .. redis.call('FLUSHALL') .. '",
  '"); redis.call("DEL", KEYS[1]); --',
  "%s%d%%\\0\n\r",
  "*",
  "?[a-z]\\",
  ["$", "{process.exit(1)}"].join(""),
  "\u0000",
  "\ud83d\ude00 é",
];

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

async function listSources(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await listSources(path)));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

const notes = (name: string) =>
  defineProjection(events, {
    name,
    version: 1,
    source: ["note"],
    key: (event) => event.streamName,
    initialState: () => ({ texts: [] as string[] }),
    handlers: {
      Noted: (draft, event) => {
        draft.texts.push(event.data.text);
      },
    },
  });

describe("startProjection", () => {
  it("keeps the server's script cache to the toolkit's constant scripts whatever the input", async () => {
    // Given hostile stream ids, event ids, payloads and metadata
    const prefix = `lua-${randomBytes(4).toString("hex")}`;
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    let appended = 0;
    for (const [index, text] of HOSTILE_TEXTS.entries()) {
      const id = `${index}:${text.replace(/[\s\p{Cc}{}]/gu, "_")}`;
      // When they are appended (and retried), read, snapshotted
      const batch = [
        {
          type: "Noted" as const,
          data: { text },
          id: `evt-${index}-${text.replace(/\p{Cc}/gu, "")}`,
        },
        { type: "Anything" as const, data: { [text]: text, nested: { [text]: [text] } } },
      ];
      await store.append(`note-${id}`, batch, { metadata: { [text]: text } });
      await store.append(`note-${id}`, batch.slice(0, 1), { expectedVersion: 0 }).catch(() => 0);
      appended += 2;
      for await (const _event of store.read(`note-${id}`));
      await store.version(`note-${id}`);
      await store.writeSnapshot(`note-${id}`, {
        version: 1,
        eventId: text,
        schemaVersion: 1,
        state: { text },
      });
    }
    // And a projection whose handlers store them runs, then is rebuilt and switched
    const projection = notes("lua-notes");
    const runner = startProjection(projection, {
      redis,
      store,
      logger: silentLogger,
      heartbeatMs: 100,
    });
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    await requestRebuild(projection, { redis, prefix });
    const rebuilt = startProjection(projection, {
      redis,
      store,
      logger: silentLogger,
      heartbeatMs: 100,
    });
    await rebuilt.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
    const reader = createProjectionReader(projection, { redis, prefix });
    expect(await reader.get(`note-0:${HOSTILE_TEXTS[0]?.replace(/[\s\p{Cc}{}]/gu, "_")}`)).toEqual({
      texts: [HOSTILE_TEXTS[0]],
    });
    await Promise.all([runner.stop(), rebuilt.stop()]);

    // Then the server holds only the toolkit's function libraries, each with its constant code,
    // and caches no script at all (nothing is sent with EVAL)
    const listed = (await redis.call("FUNCTION", "LIST", "WITHCODE")) as unknown[][];
    const loaded = new Map(listed.map((library) => [library[1], library[7]]));
    const memory = (await redis.info("memory")) as string;
    const cached = Number(/^number_of_cached_scripts:(\d+)/m.exec(memory)?.[1]);
    console.info(
      `[lua] ${appended} hostile events appended and projected: ${cached} scripts cached, libraries ${[...loaded.keys()].join(", ")}`,
    );
    expect(loaded).toEqual(
      new Map([
        [coreFunctionLibrary.name, coreFunctionLibrary.code],
        [projectionsFunctionLibrary.name, projectionsFunctionLibrary.code],
      ]),
    );
    expect(cached).toBe(0);
  });

  it("never lets a build id read from Redis widen the SCAN pattern that deletes retired builds", async () => {
    // Given a running projection, and a retired-builds hash edited by hand with glob patterns
    // (next to one genuine retired build, v0, long due: its removal shows that a clean-up ran)
    const prefix = `glob-${randomBytes(4).toString("hex")}`;
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    await store.append("note-1", [{ type: "Noted", data: { text: "keep me" } }]);
    const projection = notes("glob-notes");
    const keys = projectionKeys(prefix, "glob-notes");
    await redis.hset(keys.retired(), "*", "0", "v*", "0", "[v]1", "0", "v0", "0");
    // When the runner's control loop cleans up retired builds
    const runner = startProjection(projection, {
      redis,
      store,
      logger: silentLogger,
      heartbeatMs: 50,
    });
    try {
      await runner.waitUntilCaughtUp(undefined, { timeoutMs: 20_000 });
      await until(
        async () => (await redis.hexists(keys.retired(), "v0")) === 0,
        "the control loop's clean-up of retired builds",
        20_000,
      );
      // Then the active build is untouched, the hand-written fields were never used as builds,
      // and a non-build id is refused as a pattern
      expect((await redis.hkeys(keys.retired())).sort()).toEqual(["*", "[v]1", "v*"]);
      expect(await runner.get("note-1")).toEqual({ texts: ["keep me"] });
      const [, docs] = await redis.scan(
        "0",
        "MATCH",
        `${prefix}:{rm:glob-notes:v1}:doc:*`,
        "COUNT",
        1000,
      );
      expect(docs).toHaveLength(1);
      expect(() => keys.buildPattern("*")).toThrow(/not a build id/);
      expect(keys.buildPattern("v2.1")).toBe(`${prefix}:{rm:glob-notes:v2.1}:*`);
    } finally {
      await runner.stop();
    }
  });

  it("keeps every Lua script a constant and every SCAN pattern a validated one, in the sources", async () => {
    // Given the sources of core and projections
    const files = [
      ...(await listSources(new URL("../../core/src", import.meta.url).pathname)),
      ...(await listSources(new URL("../src", import.meta.url).pathname)),
    ];
    const offences: string[] = [];
    let scripts = 0;
    let scriptUses = 0;
    let scans = 0;
    for (const file of files) {
      const source = await readFile(file, "utf8");
      // Script twins are TypeScript ports the in-memory fake runs in place of the Lua; their
      // redis.call(line, "COMMAND", ...) is a JS method, not Lua (scriptLine finds the Lua line a
      // twin's call stands for). They must hold no script.
      if (/\/script(Twin\w*|Line)\.ts$/.test(file)) {
        if (/_SCRIPT = `/.test(source)) offences.push(`${file}: a script in a twin file`);
        continue;
      }
      // When each script constant, script use and SCAN call is looked at
      // (a script may splice in only a constant Lua fragment of its own file, itself spliced
      // from nothing, such as core's POSITION_CODEC)
      const fragments = new Map<string, string>();
      for (const match of source.matchAll(/^const ([A-Z][A-Z0-9_]*) = `([^`]*)`;/gm))
        fragments.set(match[1] as string, match[2] as string);
      for (const match of source.matchAll(/export const (\w+_SCRIPT) = `([^`]*)`/g)) {
        scripts++;
        for (const spliced of (match[2] ?? "").matchAll(/\$\{([^}]*)\}/g)) {
          const fragment = fragments.get(spliced[1] as string);
          if (fragment === undefined || fragment.includes("${"))
            offences.push(`${file}: ${match[1]} interpolates ${spliced[1]}`);
        }
        if (!((match[1] as string) in KNOWN_SCRIPTS))
          offences.push(`${file}: ${match[1]} is not in the known list`);
      }
      // Scripts reach Redis only as the functions of a library: defineFunctionLibrary's
      // { name: SCRIPT } entries (not its declaration, whose parameter is `scripts`)
      for (const library of source.matchAll(/defineFunctionLibrary\("\w+", \{([^}]*)\}\)/g)) {
        for (const entry of (library[1] as string).matchAll(/\w+: ([^,\s]+)\s*(?:,|$)/g)) {
          scriptUses++;
          if (!((entry[1] as string) in KNOWN_SCRIPTS))
            offences.push(`${file}: defineFunctionLibrary entry ${entry[1]}`);
        }
      }
      for (const match of source.matchAll(/\.eval(?:sha)?\(\s*([^,]+),/g)) {
        scriptUses++;
        if (!((match[1] as string) in KNOWN_SCRIPTS)) offences.push(`${file}: eval(${match[1]})`);
      }
      // A command name must be a literal; the one table call builds {"XADD", KEYS[3], "*", ...}
      const unpacked = /local args = \{"XADD", KEYS\[3\], "\*"\}/.test(source);
      // runFunction sends what functionCall builds: FCALL or FCALL_RO, a function name of a
      // library of constant scripts, then keys and arguments
      const fcall =
        file.endsWith("/scripting/runFunction.ts") &&
        source.includes('return [fn.readOnly ? "FCALL_RO" : "FCALL", argv];');
      for (const match of source.matchAll(
        /"EVAL(?:SHA)?(?:_RO)?"|"SCRIPT"|redis\.call\(\s*[^"\s][^)]*\)?/g,
      )) {
        if (unpacked && match[0] === "redis.call(unpack(args)") continue;
        if (fcall && match[0] === "redis.call(command, argv)") continue;
        offences.push(`${file}: ${match[0]}`);
      }
      for (const match of source.matchAll(/\.scan\(\s*\w+,\s*"MATCH",\s*([^,]+),/g)) {
        scans++;
        // Both builders refuse what could widen a pattern (a non-build id, a non-prefix).
        if (
          !/^(keys\.buildPattern|activeBuildKeyPattern)\(\w+\)$/.test((match[1] as string).trim())
        )
          offences.push(`${file}: SCAN MATCH ${match[1]}`);
      }
      if (/\bKEYS\b"|"KEYS"/.test(source)) offences.push(`${file}: KEYS command`);
    }
    // Then none splices anything: scripts are constants, patterns come from buildPattern
    expect(offences).toEqual([]);
    expect(scripts).toBe(Object.keys(KNOWN_SCRIPTS).length);
    expect(scriptUses).toBeGreaterThanOrEqual(Object.keys(KNOWN_SCRIPTS).length);
    // unlinkBuildKeys (the one way a build's keys are deleted) and discoverProjections: a new SCAN
    // must be looked at here.
    expect(scans).toBe(2);
  });
});
