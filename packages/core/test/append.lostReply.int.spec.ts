import {
  coreFunctionLibrary,
  defineEvents,
  getRedisEventStore,
  silentLogger,
} from "@streamstore/core";
import { startTcpProxy } from "@streamstore/testing";
import { indexPositions } from "@streamstore/testing/contract";
import { Redis } from "ioredis";
import { describe, expect, inject, it } from "vitest";
import { z } from "zod";

const events = defineEvents({ Noted: z.object({ n: z.number() }) });

describe("EventStore.append", () => {
  it("leaves exactly one copy when the reply of an append is lost and the append is retried (200 times)", async () => {
    // Given a proxy that cuts the connection after Redis ran an append, before its reply comes back
    const server = inject("redisUrl");
    const port = Number(new URL(server).port);
    let armedKey: string | undefined;
    const proxy = await startTcpProxy({
      targetPort: port,
      // One lost reply per armed append: the first FCALL of the append function on the armed
      // key. ioredis then resends it on the new connection, or the call fails and is retried.
      onClientData: (chunk) => {
        if (
          armedKey === undefined ||
          !chunk.includes(coreFunctionLibrary.functions.append.name) ||
          !chunk.includes(armedKey)
        ) {
          return "forward";
        }
        armedKey = undefined;
        return "drop-connection";
      },
    });
    const redis = new Redis(proxy.port, "127.0.0.1", {
      maxRetriesPerRequest: 5,
      retryStrategy: () => 10,
    });
    const prefix = `lost-${Date.now().toString(36)}`;
    const store = getRedisEventStore({ redis, events, prefix, logger: silentLogger });
    const raw = new Redis(server);
    try {
      await store.append("note-warmup", [{ type: "Noted", data: { n: 0 } }]); // loads the library
      let resentByClient = 0;
      let retriedByCaller = 0;
      for (let round = 0; round < 200; round++) {
        const stream = `note-${round}`;
        await store.append(stream, [{ type: "Noted", data: { n: -1 } }]);
        const batch = [
          { type: "Noted" as const, data: { n: round }, id: `r${round}-a` },
          { type: "Noted" as const, data: { n: round + 0.5 }, id: `r${round}-b` },
        ];
        armedKey = (await store.locate(stream)).indexKey;
        const droppedBefore = proxy.droppedReplies;
        // When the reply is lost: ioredis resends the command after reconnecting, or the call
        // fails and the caller retries it with the same event ids
        let result = await store
          .append(stream, batch, { expectedVersion: 1 })
          .catch(() => undefined);
        armedKey = undefined;
        // Redis ran this round's append and its reply was swallowed: exactly once per round
        expect(proxy.droppedReplies - droppedBefore, `round ${round}`).toBe(1);
        if (result === undefined) {
          retriedByCaller += 1;
          result = await store.append(stream, batch, { expectedVersion: 1 });
        } else {
          resentByClient += 1;
        }
        // Then the retry is recognised, the index holds 3 versions, and the log one copy of each
        // event: nothing was logged after the batch's first copy
        expect(result).toMatchObject({ duplicate: true, nextExpectedVersion: 3, firstVersion: 2 });
        const { indexKey, logKey } = await store.locate(stream);
        const indexed = indexPositions(await raw.getBuffer(indexKey));
        expect(indexed).toHaveLength(3);
        expect(result.positions).toEqual(indexed.slice(1));
        const logged = await raw.xrange(logKey, result.positions[0] as string, "+");
        expect(logged.map(([position]) => position)).toEqual(result.positions);
        expect(logged.map(([, fields]) => fields[fields.indexOf("i") + 1])).toEqual([
          `r${round}-a`,
          `r${round}-b`,
        ]);
      }
      expect(proxy.droppedReplies).toBe(200);
      if (process.env.STREAMSTORE_REPORT)
        console.info({ resentByClient, retriedByCaller, dropped: proxy.droppedReplies });
      const logLength = await raw.xlen((await store.locate("note-0")).logKey);
      expect(logLength).toBe(1 + 200 * 3);
    } finally {
      redis.disconnect();
      let cursor = "0";
      do {
        const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await raw.del(...keys);
      } while (cursor !== "0");
      await raw.quit();
      await proxy.close();
    }
  });
});
