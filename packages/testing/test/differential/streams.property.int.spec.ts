import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createNormalizer, maskIdle } from "./support/createNormalizer.js";
import { createTargetClient, differentialTargetKind } from "./support/differentialTarget.js";
import { queue } from "./support/send.js";
import {
  CLAIM_IDLE_MS,
  groupSequence,
  logSequence,
  SEQUENCE_KEYS,
  STRING_KEY,
  type StreamCommand,
} from "./support/streamCommandArbitraries.js";

// Random sequences of stream commands, valid and invalid, run on real Redis and on the fake: the
// normalised replies must be identical. Each sequence runs as one pipeline per side (one round
// trip to Redis), under a fresh key prefix.

const RUNS_PER_PROPERTY = 1_000;

let real: Redis;
let target: Redis;

beforeAll(() => {
  const redisUrl = inject("redisUrl");
  real = new Redis(redisUrl);
  target = createTargetClient(redisUrl);
});

afterAll(async () => {
  await real.quit();
  await target.quit().catch(() => target.disconnect());
});

function resolveArgs(args: (string | number)[], prefix: string): (string | number)[] {
  return args.map((arg) =>
    typeof arg === "string" && /^\{[a-z]+\}$/.test(arg) ? `${prefix}${arg.slice(1, -1)}` : arg,
  );
}

function describeCommand(command: StreamCommand): string {
  return `${command.name.toUpperCase()} ${command.args.join(" ")}`;
}

/**
 * XPENDING extended rows carry an idle time in ms: masked when it is plausibly fresh (just
 * delivered) or plausibly the CLAIM_IDLE_MS an XCLAIM ... IDLE gave it.
 */
function maskTimes(command: StreamCommand, reply: unknown): unknown {
  if (command.name === "xpending" && command.args.length > 2 && Array.isArray(reply)) {
    return reply.map((row) => {
      if (!Array.isArray(row) || row.length !== 4) return row;
      const fresh = maskIdle(row[2]);
      const idle = typeof fresh === "number" ? maskIdle(row[2], CLAIM_IDLE_MS) : fresh;
      return [row[0], row[1], idle, row[3]];
    });
  }
  return reply;
}

async function runSequence(client: Redis, commands: StreamCommand[], cleanup: boolean) {
  const prefix = `prop:${randomBytes(6).toString("hex")}:`;
  const pipeline = client.pipeline();
  pipeline.set(`${prefix}${STRING_KEY}`, "not a stream");
  for (const command of commands)
    queue(pipeline, command.name, ...resolveArgs(command.args, prefix));
  if (cleanup) pipeline.del(...SEQUENCE_KEYS.map((key) => `${prefix}${key}`));
  // XCLAIM … IDLE sets a delivery time CLAIM_IDLE_MS before the clock: still a clock reading.
  const fromMs = Date.now() - CLAIM_IDLE_MS;
  const results = (await pipeline.exec()) ?? [];
  const toMs = Date.now();
  const replies = commands.map((command, index) => {
    const [error, reply] = results[index + 1] ?? [new Error("no reply"), undefined];
    return error ? { error } : { reply: maskTimes(command, reply) };
  });
  return createNormalizer({ prefix, clock: { fromMs, toMs } })(replies) as unknown[];
}

async function sameRepliesOnBoth(commands: StreamCommand[]): Promise<void> {
  const expected = await runSequence(real, commands, true);
  const actual = await runSequence(target, commands, differentialTargetKind === "redis");
  const firstDifference = expected.findIndex(
    (reply, index) => inspect(reply, { depth: null }) !== inspect(actual[index], { depth: null }),
  );
  if (firstDifference === -1) return;
  const trace = commands
    .map((command, index) => {
      const marker = index === firstDifference ? ">>" : "  ";
      const shown = inspect(expected[index], { depth: null, breakLength: Infinity });
      return `${marker} ${describeCommand(command)}  →  ${shown}`;
    })
    .join("\n");
  expect(
    actual[firstDifference],
    `fake differs from Redis at command ${firstDifference + 1}:\n${trace}\n--- redis: ${inspect(expected[firstDifference], { depth: null })}\n--- fake: ${inspect(actual[firstDifference], { depth: null })}`,
  ).toStrictEqual(expected[firstDifference]);
}

describe("createFakeRedis", () => {
  describe(`stream command sequences (property, differential against Redis, target: ${differentialTargetKind})`, () => {
    it("random XADD/XDEL/XTRIM/XRANGE/XREVRANGE/XREAD/XLEN/XSETID/XINFO STREAM sequences give Redis's replies", async () => {
      await fc.assert(fc.asyncProperty(logSequence, sameRepliesOnBoth), {
        numRuns: RUNS_PER_PROPERTY,
      });
    }, 120_000);

    it("random consumer-group sequences (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS/CONSUMERS/STREAM FULL) give Redis's replies", async () => {
      await fc.assert(fc.asyncProperty(groupSequence, sameRepliesOnBoth), {
        numRuns: RUNS_PER_PROPERTY,
      });
    }, 120_000);
  });
});
