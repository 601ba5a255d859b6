import { fileURLToPath } from "node:url";
import { projectionKeys } from "@streamstore/projections/internal";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "./support/archiveDatabase.js";
import { deleteKeysUnder, randomPrefix, runCli } from "./support/cli.js";
import { CLI_COLORS, HOSTILE, rawControls } from "./support/hostileText.js";
import { type HostileSeed, seedHostileText } from "./support/seedHostileText.js";
import { inTerminal } from "./support/terminal.js";

// Issue 14: no raw control character from untrusted text ever reaches an operator's terminal.
// The probe's text (a window title, a screen clear, an OSC 8 link, \r, U+202E, NEL, CSI, DEL, \n,
// U+2028) is written through the public API (event data, handler errors in dead letters) and raw
// under the prefix (registry, index keys, a log entry, consumer groups, leases, a seam, dead
// letters, an active build, a checkpoint); then every command runs in a pseudo-terminal, as
// people and with --json, and what the terminal received is checked character by character.

const HOSTILE_CONFIG = fileURLToPath(new URL("./fixtures/hostile.config.ts", import.meta.url));
const redisUrl = inject("redisUrl");
const prefix = randomPrefix("hostile");
let seed: HostileSeed;

/** The window-title sequence as shown: `\x1b]0;pwned` (people), `\u001b]0;pwned` (JSON, or JSON text in a cell). */
const RECOGNISABLE = /\\(x1b|u001b)\]0;pwned\\(x07|u0007)/;

/**
 * Sequences written by the CLI itself (or by the libraries drawing for it) on a terminal, by
 * command, removed before the check: exactly these, so a hostile ESC[2J (followed by a space,
 * not ESC[H) is still caught.
 */
const OWN = {
  watch: ["\u001b[2J\u001b[H"],
  // cli-progress: hide/show the cursor, save/restore it, autowrap off/on, column 1, erase line.
  progressBar: [
    "\u001b[?25l",
    "\u001b[?25h",
    "\u001b7",
    "\u001b8",
    "\u001b[?7l",
    "\u001b[?7h",
    "\u001b[1G",
    "\u001b[0K",
  ],
  progressLine: ["\r\u001b[2K"],
  // readline asking: cursor to a column, erase below; and the echo of the typed answer "n\r".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences are the point.
  question: [/\u001b\[\d+G/g, "\u001b[0J", "n\r"],
};

interface TerminalCase {
  /** The command's arguments (the prefix is added). */
  args: () => string[];
  /** Loads the config module (decoding, projection code). */
  config?: boolean;
  /** False: the command shows nothing untrusted (checked for raw characters only). */
  quotes?: boolean;
  /** Exit codes as people and with --json. */
  code: number | [number, number];
  /** Runs until this shows, then gets Ctrl-C. */
  until?: RegExp;
  /** Answers this question. */
  answer?: { prompt: RegExp; text: string };
  /** Sequences of the CLI's own on this command. */
  own?: readonly (string | RegExp)[];
  /** As people only (the --json run would repeat an action). */
  humanOnly?: boolean;
}

/** Runs a command in a pseudo-terminal to its end (or its `until`, then Ctrl-C). */
async function onTerminal(
  command: TerminalCase,
  json: boolean,
): Promise<{ code: number | null; screen: string }> {
  const args = [
    ...command.args(),
    "--prefix",
    prefix,
    ...(command.config ? ["--config", HOSTILE_CONFIG] : []),
    ...(json ? ["--json"] : []),
  ];
  const run = inTerminal(args, { REDIS_URL: redisUrl });
  if (command.answer) {
    await run.waitFor(command.answer.prompt);
    run.type(command.answer.text);
  }
  if (command.until) {
    await run.waitFor(command.until);
    run.type("\u0003");
  }
  return run.done;
}

/** Nothing raw on the screen but the terminal's own line ends and the command's own sequences. */
function expectNothingRaw(screen: string, own: readonly (string | RegExp)[] = []): void {
  let text = screen.replaceAll("\r\n", "\n");
  for (const sequence of own) text = text.replaceAll(sequence, "");
  expect(rawControls(text.replaceAll("\n", ""))).toEqual([]);
}

async function expectSafeOnTerminal(command: TerminalCase): Promise<string[]> {
  const screens: string[] = [];
  const [human, json] = Array.isArray(command.code) ? command.code : [command.code, command.code];
  for (const [asJson, code] of command.humanOnly
    ? ([[false, human]] as const)
    : ([
        [false, human],
        [true, json],
      ] as const)) {
    const run = await onTerminal(command, asJson);
    expect(run.code, run.screen).toBe(code);
    expectNothingRaw(run.screen, command.own);
    if (command.quotes !== false) expect(run.screen).toMatch(RECOGNISABLE);
    screens.push(run.screen);
  }
  return screens;
}

beforeAll(async () => {
  seed = await seedHostileText(redisUrl, prefix);
}, 120_000);

afterAll(async () => {
  await deleteKeysUnder(seed.redis, prefix);
  await seed.redis.quit();
});

describe("every command on a terminal, as people and with --json, with hostile text in Redis", () => {
  const reading: [string, TerminalCase][] = [
    ["streams", { args: () => ["streams"], code: 0 }],
    ["streams --category note", { args: () => ["streams", "--category", "note"], code: 0 }],
    [
      "stream show (public API data)",
      { args: () => ["stream", "show", "note-api"], config: true, code: 0 },
    ],
    [
      "stream show (raw entry)",
      { args: () => ["stream", "show", "note-raw"], config: true, code: 0 },
    ],
    [
      "stream show (hostile name typed)",
      { args: () => ["stream", "show", `note-${HOSTILE}`], code: 2 },
    ],
    ["categories", { args: () => ["categories"], code: 0 }],
    [
      "projections list",
      // Names and build ids are validated where they are found: nothing untrusted is listed.
      { args: () => ["projections", "list"], config: true, quotes: false, code: 0 },
    ],
    ["projections status", { args: () => ["projections", "status"], code: 0 }],
    ["projections status rawproj", { args: () => ["projections", "status", "rawproj"], code: 0 }],
    ["dlq list (handler error)", { args: () => ["dlq", "list", "hostile-notes"], code: 0 }],
    [
      "dlq show (handler error)",
      {
        args: () => ["dlq", "show", "hostile-notes", seed.deadLetters.notes, "--build", "v1"],
        code: 0,
      },
    ],
    [
      "dlq list (reactor)",
      { args: () => ["dlq", "list", "hostile-reactor", "--build", "rx"], code: 0 },
    ],
    [
      "dlq show (reactor)",
      {
        args: () => ["dlq", "show", "hostile-reactor", seed.deadLetters.reactor, "--build", "rx"],
        code: 0,
      },
    ],
    ["dlq list (raw, hostile build)", { args: () => ["dlq", "list", "rawproj"], code: 0 }],
    [
      "dlq show (raw, hostile build)",
      { args: () => ["dlq", "show", "rawproj", seed.deadLetters.raw], code: 0 },
    ],
    [
      "dlq show (hostile id typed)",
      // Not a stream id: commander's usage error quotes the id as typed.
      { args: () => ["dlq", "show", "hostile-notes", HOSTILE], quotes: false, code: 2 },
    ],
    ["archive status", { args: () => ["archive", "status"], code: 0 }],
    ["doctor", { args: () => ["doctor"], quotes: false, code: [3, 3] }],
    ["forget", { args: () => ["forget", "subject-1", "--yes"], quotes: false, code: 0 }],
    ["forget (hostile subject typed)", { args: () => ["forget", HOSTILE, "--yes"], code: 1 }],
  ];
  it.each(reading)("%s", async (_name, command) => {
    await expectSafeOnTerminal(command);
  });

  const following: [string, TerminalCase][] = [
    [
      "tail",
      {
        args: () => ["tail", "note", "--from", "start"],
        config: true,
        code: 0,
        until: /pwned[\s\S]*pwned/,
      },
    ],
    [
      "projections status --watch",
      {
        args: () => ["projections", "status", "--watch", "--interval", "200"],
        code: 0,
        until: /(rawproj[\s\S]*){2}/,
        own: OWN.watch,
      },
    ],
    [
      "dashboard",
      {
        args: () => ["dashboard", "--port", "0"],
        quotes: false,
        code: 0,
        until: /dashboard on http/,
      },
    ],
  ];
  it.each(following)("%s (until Ctrl-C)", async (_name, command) => {
    await expectSafeOnTerminal(command);
  });
});

describe("colors on: the CLI's own SGR codes are the only escape sequences", () => {
  it("dlq show and projections status in color", async () => {
    for (const args of [
      ["dlq", "show", "hostile-notes", seed.deadLetters.notes, "--build", "v1"],
      ["projections", "status"],
    ]) {
      // When run on a terminal with colors
      const run = inTerminal([...args, "--prefix", prefix], { REDIS_URL: redisUrl, NO_COLOR: "" });
      const { code, screen } = await run.done;
      // Then colors were drawn, and removing exactly the CLI's palette leaves nothing raw
      expect(code).toBe(0);
      expect(screen).toContain("\u001b[1m");
      expectNothingRaw(screen.replace(CLI_COLORS, ""));
      expect(screen).toMatch(RECOGNISABLE);
    }
  });
});

describe("--json on a pipe parses back to the hostile text", () => {
  it("dead letters, events and raw entries round-trip", async () => {
    const json = async <T>(...args: string[]) => {
      const run = await runCli(
        [...args, "--prefix", prefix, "--config", HOSTILE_CONFIG, "--json"],
        {
          REDIS_URL: redisUrl,
        },
      );
      expect(rawControls(run.stdout.replaceAll("\n", ""))).toEqual([]);
      return JSON.parse(run.stdout) as T;
    };
    // When the JSON of a dead letter, an API event and a raw entry is read back
    const letter = await json<{ error: string; entry: { d: string } }>(
      "dlq",
      "show",
      "hostile-reactor",
      seed.deadLetters.reactor,
      "--build",
      "rx",
    );
    const api = await json<{ events: { data: { s: string }; metadata: { note: string } }[] }>(
      "stream",
      "show",
      "note-api",
    );
    const raw = await json<{ events: { type: string; id: string; data: string }[] }>(
      "stream",
      "show",
      "note-raw",
    );
    // (a hostile category name in the registry is not a category name: `categories` reports the
    // registry entry on stderr, its text escaped, and lists the valid categories)
    const categoriesRun = await runCli(
      ["categories", "--prefix", prefix, "--config", HOSTILE_CONFIG, "--json"],
      { REDIS_URL: redisUrl },
    );
    const categories = JSON.parse(categoriesRun.stdout) as { categories: { category: string }[] };
    // Then every string is the hostile text itself
    expect(letter.error).toContain(`reactor failed on ${HOSTILE}`);
    expect(JSON.parse(letter.entry.d)).toEqual({ s: HOSTILE });
    expect(api.events[0]?.data.s).toBe(HOSTILE);
    expect(api.events[0]?.metadata.note).toBe(HOSTILE);
    expect(raw.events[0]).toMatchObject({
      type: `T${HOSTILE}`,
      id: `id ${HOSTILE}`,
      data: HOSTILE,
    });
    expect(categories.categories.map((entry) => entry.category)).not.toContain(`cat${HOSTILE}`);
    expect(categories.categories.length).toBeGreaterThan(0);
    expect(rawControls(categoriesRun.stderr.replaceAll("\n", ""))).toEqual([]);
    expect(categoriesRun.stderr).toContain("cat\\u001b]0;pwned\\u0007");
  });
});

describe("acting commands on a terminal", () => {
  const acting: [string, TerminalCase][] = [
    [
      "dlq retry (fails again, quoting the error)",
      {
        args: () => ["dlq", "retry", "hostile-notes", seed.deadLetters.notes, "--build", "v1"],
        config: true,
        code: 1,
      },
    ],
    [
      "dlq discard, asked on the terminal (the question quotes the hostile build)",
      {
        args: () => ["dlq", "discard", "rawproj", seed.deadLetters.raw],
        answer: { prompt: /\[y\/N\] /, text: "n\r" },
        own: OWN.question,
        code: 1,
        humanOnly: true,
      },
    ],
    [
      "projections rebuild (handler errors in the runner's log records)",
      {
        args: () => ["projections", "rebuild", "hostile-notes", "--yes", "--log-format", "json"],
        config: true,
        code: 0,
        own: OWN.progressBar,
      },
    ],
    [
      "dlq discard --all",
      {
        args: () => ["dlq", "discard", "hostile-reactor", "--build", "rx", "--all", "--yes"],
        quotes: false,
        code: 0,
        humanOnly: true,
      },
    ],
  ];
  it.each(acting)("%s", async (_name, command) => {
    await expectSafeOnTerminal(command);
  });

  it("projections status with a hostile checkpoint: the error quoting it is escaped", async () => {
    // Given a checkpoint rewritten by hand with the hostile text
    const checkpoints = projectionKeys(prefix, "rawproj").checkpoints("v1");
    await seed.redis.hset(checkpoints, "note:0", HOSTILE);
    try {
      // When status runs; Then it fails (exit 1) with the stored value shown escaped
      await expectSafeOnTerminal({ args: () => ["projections", "status"], code: 1 });
    } finally {
      await seed.redis.hdel(checkpoints, "note:0");
    }
  });

  it("archive run with an archive: the warning quoting a hostile registry entry is escaped", async () => {
    // Given an archive database of this test's own
    const database = await createTestDatabase();
    try {
      // When the archiver runs until idle, the hostile category (and its seam, and a lease
      // another "archiver" holds on it) in the registry
      const [human = "", json = ""] = await expectSafeOnTerminal({
        args: () => [
          "archive",
          "run",
          "--archive-url",
          database.url,
          "--keep-events",
          "0",
          "--min-age",
          "1s",
          "--until-idle",
          "--interval",
          "50",
        ],
        code: 0,
        own: OWN.progressLine,
      });
      // Then the progress line is redrawn, and the archiver's warning about the hostile registry
      // entry (not a category name: left alone) quotes it escaped, also in the --json run
      expect(human).toContain("\r\u001b[2Karchived ");
      expect(human).toContain("cat\\u001b]0;pwned\\u0007");
      expect(json).toContain("cat\\u001b]0;pwned\\u0007");
    } finally {
      await database.drop();
    }
  });
});
