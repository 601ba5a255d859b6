import { Writable } from "node:stream";
import {
  type Decider,
  defineEvents,
  type EventOf,
  getRedisEventStore,
  handleCommand,
} from "@streamstore/core";
import { type RedisServerHandle, startRedisServer } from "@streamstore/testing";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

const events = defineEvents({ Noted: z.object({ n: z.number() }) });
const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) await server.stop();
});

// A fresh server per test: the persistence warning is given once per server and process.
async function serverKeepingNothing(): Promise<Redis> {
  const server = await startRedisServer();
  servers.push(server);
  const redis = new Redis(server.url);
  clients.push(redis);
  return redis;
}

/** A pino logger as an application would make one, writing its JSON lines to memory. */
function capturedPino() {
  const records: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, destination), records };
}

/** Every write to stdout and stderr, and every console call, from now on. */
function watchOutput() {
  const written: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(" "));
    });
  }
  return written;
}

describe("getRedisEventStore logging", () => {
  it("takes a pino logger as it is and gives it structured records", async () => {
    // Given a pino logger and a server that keeps nothing on disk
    const { logger, records } = capturedPino();
    const redis = await serverKeepingNothing();
    // When a store is used with that logger
    const store = getRedisEventStore({ redis, events, logger });
    await store.append("note-1", [{ type: "Noted", data: { n: 1 } }]);
    // Then pino got one warning, with the server, the setting and a code as fields
    const warnings = records.filter((record) => record.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      setting: "appendonly",
      value: "no",
      code: "STREAMSTORE_NO_PERSISTENCE",
      server: expect.stringMatching(/^127\.0\.0\.1:\d+\/0$/),
      msg: expect.stringMatching(/^\[streamstore\] .*keeps nothing on disk/),
    });
  });

  it("gives handleCommand's snapshot failure to the logger with the stream and the error as fields", async () => {
    // Given a store whose snapshots cannot be written, and a pino logger for handleCommand
    const { logger, records } = capturedPino();
    const redis = await serverKeepingNothing();
    const store = getRedisEventStore({ redis, events, logger });
    const failing = {
      ...store,
      writeSnapshot: () => Promise.reject(new Error("snapshot store is down")),
    };
    const decider: Decider<number, number, EventOf<typeof events>> = {
      initialState: () => 0,
      evolve: (state, event) => state + event.data.n,
      decide: (n) => [{ type: "Noted", data: { n } }],
      snapshot: { every: 1, schemaVersion: 1 },
    };
    // When a command succeeds but its snapshot is refused
    const result = await handleCommand(failing, "note-2", decider, 5, { logger });
    // Then the command succeeded and the logger got a structured warning
    expect(result.newState).toBe(5);
    const warning = records.find((record) => String(record.msg).includes("snapshot"));
    expect(warning).toMatchObject({
      level: 40,
      stream: "note-2",
      version: 1,
      error: "snapshot store is down",
    });
  });

  it("writes nothing without a logger, except one process warning about the missing persistence", async () => {
    // Given a server that keeps nothing on disk, and every output watched
    const redis = await serverKeepingNothing();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const written = watchOutput();
    try {
      // When two stores without a logger append, and one conflicts
      for (const prefix of ["a", "b"]) {
        const store = getRedisEventStore({ redis, events, prefix });
        await store.append("note-1", [{ type: "Noted", data: { n: 1 } }]);
        await store
          .append("note-1", [{ type: "Noted", data: { n: 2 } }], { expectedVersion: 0 })
          .catch(() => {});
      }
      // Node emits process warnings on the next tick
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off("warning", onWarning);
      vi.restoreAllMocks();
    }
    // Then the only thing said is one StreamstoreWarning with its code
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      name: "StreamstoreWarning",
      code: "STREAMSTORE_NO_PERSISTENCE",
      message: expect.stringMatching(/^\[streamstore\] .*keeps nothing on disk/),
    });
    expect(written.filter((text) => !text.includes("StreamstoreWarning"))).toEqual([]);
  });
});
