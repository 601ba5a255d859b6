import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineFunctionLibrary } from "@streamstore/core/internal";
import { afterEach, describe, expect, it } from "vitest";
import {
  createStandaloneFakeRedis,
  type FakeRedis,
  SCRIPT_TWIN_FALLBACK,
  type ScriptTwin,
  scriptLine,
} from "../../src/index.js";

// A user's own script, twinned through the fake's public API: the fake matches a twin to a script
// by the SHA1 of its exact source, whether the script runs by EVAL/EVALSHA or as a function of a
// library (FCALL), exactly as it matches the toolkit's twins.

const COUNTER_SCRIPT = `#!lua
local step = tonumber(ARGV[1])
if step == nil then return redis.error_reply("ERR step is not a number") end
local total = redis.call("INCRBY", KEYS[1], step)
return {"total", total}
`;

const counterTwin: ScriptTwin = {
  name: "counter",
  source: COUNTER_SCRIPT,
  run(redis, keys, args) {
    const [key] = keys;
    const step = args[0] ?? "";
    // Only plain integers are ported: anything else goes to the Lua (before any write).
    if (key === undefined || !/^-?\d{1,15}$/.test(step)) return SCRIPT_TWIN_FALLBACK;
    const line = scriptLine(COUNTER_SCRIPT, 'redis.call("INCRBY"');
    return ["total", redis.call(line, "INCRBY", key, step)];
  },
};

const clients: FakeRedis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function fake(twins?: readonly ScriptTwin[]): FakeRedis {
  const redis = createStandaloneFakeRedis(twins === undefined ? {} : { scriptTwins: twins });
  clients.push(redis);
  return redis;
}

describe("createStandaloneFakeRedis with a user's script twin", () => {
  it("runs the twin in place of the script sent by EVAL and EVALSHA", async () => {
    // Given
    const redis = fake([counterTwin]);
    const sha = (await redis.script("LOAD", COUNTER_SCRIPT)) as string;
    // When
    const first = await redis.eval(COUNTER_SCRIPT, 1, "hits", "2");
    const second = await redis.evalsha(sha, 1, "hits", "3");
    // Then
    expect([first, second]).toEqual([
      ["total", 2],
      ["total", 5],
    ]);
    expect(redis.scriptRunCounts()).toEqual({ twin: 2, lua: 0 });
  });

  it("runs the twin for the function a library built from the script registers", async () => {
    // Given a library in defineFunctionLibrary's layout holding the script
    const library = defineFunctionLibrary("myapp", { counter: COUNTER_SCRIPT });
    const redis = fake([counterTwin]);
    await redis.function("LOAD", library.code);
    // When
    const reply = await redis.fcall(library.functions.counter.name, 1, "hits", "4");
    // Then
    expect(reply).toEqual(["total", 4]);
    expect(redis.scriptRunCounts()).toEqual({ twin: 1, lua: 0 });
  });

  it("hands input the twin does not port to the Lua, with the Lua's answer", async () => {
    // Given
    const redis = fake([counterTwin]);
    // When a step the twin refuses to parse: Lua's tonumber reads hex
    const hex = await redis.eval(COUNTER_SCRIPT, 1, "hits", "0x10");
    const refused = await redis.eval(COUNTER_SCRIPT, 1, "hits", "ten").catch((error) => error);
    // Then
    expect(hex).toEqual(["total", 16]);
    expect(String(refused)).toContain("ERR step is not a number");
    expect(redis.scriptRunCounts()).toEqual({ twin: 0, lua: 2 });
  });

  it("matches by the exact source: a one-character edit runs in Lua", async () => {
    // Given
    const redis = fake([counterTwin]);
    const edited = COUNTER_SCRIPT.replace('{"total", total}', '{"sum", total}');
    // When
    const reply = await redis.eval(edited, 1, "hits", "1");
    // Then
    expect(reply).toEqual(["sum", 1]);
    expect(redis.scriptRunCounts()).toEqual({ twin: 0, lua: 1 });
  });

  it("knows no script by default, the toolkit's included", async () => {
    // Given
    const redis = fake();
    // When
    await redis.eval(COUNTER_SCRIPT, 1, "hits", "1");
    // Then
    expect(redis.scriptRunCounts()).toEqual({ twin: 0, lua: 1 });
  });
});

describe("the fake's sources", () => {
  it("import nothing from the toolkit's packages: it knows their scripts only by the twins it is given", async () => {
    const root = fileURLToPath(new URL("../../src/fake/", import.meta.url));
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const file of files) {
      const text = await readFile(join(root, file), "utf8");
      for (const match of text.matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)) {
        const specifier = match[1] as string;
        if (specifier.startsWith("@streamstore/") || specifier.startsWith("../../")) {
          offending.push(`${file}: ${specifier}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});
