import { silentLogger } from "@streamstore/core";
import { projectionKeys } from "@streamstore/projections/internal";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { balances } from "../../../examples/bank-account/src/balances.js";
import { fragileBalances } from "./fixtures/fragileBalances.js";
import { catchUp } from "./support/catchUp.js";
import { CONFIG, deleteKeysUnder, randomPrefix } from "./support/cli.js";
import { seedBankExample } from "./support/seedBankExample.js";
import { inTerminal } from "./support/terminal.js";

// Issue 7: on a terminal `projections rebuild` draws a cli-progress bar and asks before acting;
// the pipe tests never see either. Here the real binary runs in a pseudo-terminal made by
// util-linux `script` (no native node-pty): what it prints is what a user sees, and Ctrl-C and
// answers are typed into the terminal, so the kernel's line discipline delivers the SIGINT.

const redisUrl = inject("redisUrl");
const prefix = randomPrefix("tty");
const balanceKeys = projectionKeys(prefix, "balances");
const fragileKeys = projectionKeys(prefix, "fragile-balances");
let redis: Redis;
let eventsInLog = 0;

const cliArgs = (...args: string[]) => [...args, "--config", CONFIG, "--prefix", prefix];

async function deadLetterIds(): Promise<string[]> {
  return (await redis.xrange(fragileKeys.deadLetters("v1"), "-", "+")).map(([id]) => id);
}

beforeAll(async () => {
  // 30,000 more events (no deposit of 13 among them), so that a rebuild takes a few seconds to
  // interrupt, and one poison deposit (13) that fragile-balances dead-letters.
  const seeded = await seedBankExample({
    redisUrl,
    prefix,
    history: { accounts: 300, amount: (index) => (index === 12 ? 1013 : index + 1) },
    poison: ["account-bob"],
  });
  redis = seeded.redis;
  eventsInLog = seeded.summary.finalVersion + 2 + 30_000 + 1;
  const runnerOptions = { redis, prefix, logger: silentLogger, batchSize: 2000, maxDeliveries: 1 };
  await catchUp(balances, runnerOptions);
  await catchUp(fragileBalances, runnerOptions);
}, 120_000);

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

describe("streamstore projections rebuild", () => {
  it('asks on a terminal and, answered "y", draws a redrawn progress bar with percentage, ev/s and ETA until Ctrl-C stops it with exit code 130', async () => {
    // Given balances caught up in build v1 over 30,000+ events
    expect(await redis.get(balanceKeys.active())).toBe("v1");

    // When the rebuild runs on a terminal without --yes, the question is answered "y"
    const run = inTerminal(cliArgs("projections", "rebuild", "balances", "--interval", "50"), {
      REDIS_URL: redisUrl,
      STREAMSTORE_TEST_BATCH_SIZE: "10",
    });
    await run.waitFor(/Rebuild projection "balances" from the first event .*\? \[y\/N\] /);
    run.type("y\r");
    // ... and Ctrl-C is typed once the bar has been redrawn in full with a rate and an ETA three
    // times (the same complete draws counted below: on a loaded machine a looser pattern matched
    // before the third draw had been written out whole)
    await run.waitFor(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences are the point.
      /(\x1b\[1Gbalances v1\.1 \[[=-]{30}\] \d+% \| [1-9]\d*\/\d+ events \| [1-9]\d* ev\/s \| ETA \d+s\x1b\[0K[\s\S]*?){3}/,
    );
    run.type("\x03");
    const { code, screen } = await run.done;

    // Then the bar was drawn in place on one line: each draw moves to column 1 (ESC [1G) and
    // erases the rest of the line (ESC [0K), with no newline between draws; the cursor is hidden
    // while it runs and shown again at the end
    expect(screen).toContain('Rebuilding "balances" into build v1.1 from the first event');
    const bar = screen.slice(screen.indexOf("\x1b[?25l"), screen.indexOf("\x1b[?25h"));
    expect(bar).not.toContain("\n");
    const draws = [
      ...bar.matchAll(
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences are the point.
        /\x1b\[1Gbalances v1\.1 \[[=-]{30}\] (\d+)% \| (\d+)\/(\d+) events \| (\d+) ev\/s \| ETA (\?|\d+s)\x1b\[0K/g,
      ),
    ];
    // At least the three waited for; the first frame (0 of the total, no rate yet) may be merged
    // into a later one when the machine is loaded (a CI run drew 3 frames, not 4).
    expect(draws.length).toBeGreaterThanOrEqual(3);
    const applied = draws.map((draw) => Number(draw[2]));
    expect(applied).toEqual([...applied].sort((left, right) => left - right));
    expect(draws.every((draw) => Number(draw[3]) === eventsInLog)).toBe(true);
    // (the plain per-interval lines are for pipes only)
    expect(screen).not.toContain("progress balances v1.1:");
    // And Ctrl-C stopped it cleanly, readers still on v1, with the resume hint and exit code 130
    const stopped =
      /interrupted at (\d+) of (\d+) events of build v1\.1; run the same command again to resume/.exec(
        screen,
      );
    expect(stopped).not.toBeNull();
    expect(Number(stopped?.[1])).toBeGreaterThanOrEqual(applied[applied.length - 1] ?? 0);
    expect(Number(stopped?.[1])).toBeLessThan(eventsInLog);
    expect(Number(stopped?.[2])).toBe(eventsInLog);
    expect(code).toBe(130);
    expect(await redis.get(balanceKeys.active())).toBe("v1");
  });

  it('changes nothing when the question is answered "n" on a terminal', async () => {
    // Given fragile-balances in build v1 with no rebuild requested
    const generationBefore = await redis.get(fragileKeys.generation(1));

    // When the rebuild is asked for on a terminal and answered "n"
    const run = inTerminal(cliArgs("projections", "rebuild", "fragile-balances"), {
      REDIS_URL: redisUrl,
    });
    await run.waitFor(/\[y\/N\] /);
    run.type("n\r");
    const { code, screen } = await run.done;

    // Then it ends with exit code 1 and the build, generation and readers are unchanged
    expect(code).toBe(1);
    expect(screen).toContain("[streamstore] cancelled; nothing was changed.");
    expect(await redis.get(fragileKeys.generation(1))).toBe(generationBefore);
    expect(await redis.get(fragileKeys.active())).toBe("v1");
  });
});

describe("streamstore dlq discard", () => {
  it('keeps the dead letter when answered "n" on a terminal and discards it when answered "y"', async () => {
    // Given fragile-balances' one dead letter (the deposit of 13)
    const [id] = await deadLetterIds();
    expect(id).toBeDefined();

    // When discard is asked for on a terminal, answered "n", then again answered "y"
    const refused = inTerminal(cliArgs("dlq", "discard", "fragile-balances", id ?? ""), {
      REDIS_URL: redisUrl,
    });
    await refused.waitFor(/Discard 1 dead letter of "fragile-balances" build v1 .*\[y\/N\] /);
    refused.type("n\r");
    const no = await refused.done;
    const afterNo = await deadLetterIds();
    const accepted = inTerminal(cliArgs("dlq", "discard", "fragile-balances", id ?? ""), {
      REDIS_URL: redisUrl,
    });
    await accepted.waitFor(/\[y\/N\] /);
    accepted.type("y\r");
    const yes = await accepted.done;

    // Then "n" left it (exit 1), "y" removed it (exit 0)
    expect(no.code).toBe(1);
    expect(no.screen).toContain("cancelled; nothing was changed");
    expect(afterNo).toEqual([id]);
    expect(yes.code).toBe(0);
    expect(yes.screen).toContain('Discarded 1 dead letter of "fragile-balances" build v1.');
    expect(await deadLetterIds()).toEqual([]);
  });
});
