import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createCliLogger } from "../src/output/cliLogger.js";
import { createOutput } from "../src/output/Output.js";
import { createTerminalMarkup } from "../src/output/terminalMarkup.js";
import { CLI_COLORS, HOSTILE, HOSTILE_ESCAPED, rawControls } from "./support/hostileText.js";

// Issue 14: every text the CLI writes is untrusted; only its own markup (colors, line breaks,
// clearing the screen, the progress line's carriage return) reaches the terminal raw.

function capture(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let written = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  });
  return { stream, text: () => written };
}

function outputs(options: { json?: boolean; color?: boolean } = {}) {
  const stdout = capture();
  const stderr = capture();
  const output = createOutput({
    json: options.json ?? false,
    color: options.color ?? false,
    stdout: stdout.stream,
    stderr: stderr.stream,
    columns: () => 60,
  });
  return { output, stdout: stdout.text, stderr: stderr.text };
}

describe("Output", () => {
  it("escapes every control character of a line, a note and a table, \\n and \\t in a cell too", () => {
    // Given an output without colors
    const { output, stdout, stderr } = outputs();
    // When hostile text is written as a line, a note and table cells
    output.line(`error ${HOSTILE}`);
    output.note(`note ${HOSTILE}`);
    output.table(["h\u001b[8m", "n"], [[`cell ${HOSTILE}`, "a\nb\tc"]]);
    // Then nothing raw is left but the lines' ends, and the text reads as escapes
    expect(rawControls(stdout().replaceAll("\n", ""))).toEqual([]);
    expect(rawControls(stderr().replaceAll("\n", ""))).toEqual([]);
    expect(stdout()).toContain(`error ${HOSTILE_ESCAPED}\n`);
    expect(stderr()).toBe(`note ${HOSTILE_ESCAPED}\n`);
    expect(stdout()).toContain("a\\nb\\tc");
    expect(stdout()).toContain("h\\x1b[8m");
  });

  it("writes its own colors, line breaks and screen clear raw, and only those", () => {
    // Given an output with colors
    const { output, stdout } = outputs({ color: true });
    const c = output.colors;
    // When a line mixes markup and hostile text, and a table has a colored and a two-line cell
    output.line(
      `${output.clearScreen}${c.bold("name")} ${c.red(HOSTILE)}${output.lineBreak}${c.dim("footer")}`,
    );
    output.table(["a"], [[c.green("live")], [`one${output.lineBreak}two`]]);
    const text = stdout();
    // Then the markup is raw and the hostile text escaped inside it
    expect(text.startsWith("\u001b[2J\u001b[H\u001b[1mname\u001b[22m \u001b[31m")).toBe(true);
    expect(text).toContain(`\u001b[31m${HOSTILE_ESCAPED}\u001b[39m\n\u001b[2mfooter\u001b[22m\n`);
    expect(text).toContain("\u001b[32mlive\u001b[39m");
    expect(text).toMatch(/│ one {2}│\n│ two {2}│/);
    // And the colored cell is as wide as its text (widths measured without the color codes)
    expect(text).toContain("│ \u001b[32mlive\u001b[39m │");
    expect(
      rawControls(
        text.replace(CLI_COLORS, "").replaceAll("\u001b[2J\u001b[H", "").replaceAll("\n", ""),
      ),
    ).toEqual([]);
  });

  it("cannot be fooled by text imitating its markup tokens", () => {
    // Given text that looks like a token (a private-use character, some key, an ESC's code)
    const { output, stdout } = outputs({ color: true });
    const forged = "\u{e000}000000000000000000000000001b\u{e001}[2J";
    // When written
    output.line(forged);
    // Then it stays text
    expect(stdout()).toBe(`${forged}\n`);
    const markup = createTerminalMarkup("k");
    expect(markup.render(`\u{e000}k1b\u{e001}[1m`)).toBe("\u001b[1m");
    expect(markup.render(`\u{e000}j1b\u{e001}[1m`)).toBe(`\u{e000}j1b\u{e001}[1m`);
  });

  it("renders a table to text a line prints as it is, with a cell's markup kept", () => {
    // Given a rendered table embedded in a line
    const { output, stdout } = outputs({ color: true });
    const table = output.renderTable(["state"], [[output.colors.green("live")], [HOSTILE]]);
    output.line(`${output.colors.bold("p")}${output.lineBreak}${table}`);
    // Then its colors are raw and the hostile cell escaped
    expect(stdout()).toContain("\u001b[32mlive\u001b[39m");
    expect(stdout()).toContain(HOSTILE_ESCAPED);
    expect(rawControls(stdout().replace(CLI_COLORS, "").replaceAll("\n", ""))).toEqual([]);
  });

  it("writes JSON with every unsafe character as a \\u escape, parsing back to the same value", () => {
    // Given an output with --json
    const { output, stdout, stderr } = outputs({ json: true });
    // When data, an NDJSON line and a JSON progress line are written
    output.data({ error: HOSTILE }, () => {
      throw new Error("not called with --json");
    });
    output.jsonLine({ event: HOSTILE });
    output.jsonLine({ progress: HOSTILE }, "stderr");
    // Then nothing raw reaches either stream but line ends, and the values parse back
    expect(rawControls(stdout().replaceAll("\n", ""))).toEqual([]);
    expect(rawControls(stderr().replaceAll("\n", ""))).toEqual([]);
    const [document, ndjson] = [stdout().slice(0, stdout().lastIndexOf("}\n{") + 2), stdout()];
    expect(JSON.parse(document)).toEqual({ error: HOSTILE });
    expect(JSON.parse(ndjson.trim().split("\n").at(-1) as string)).toEqual({ event: HOSTILE });
    expect(JSON.parse(stderr())).toEqual({ progress: HOSTILE });
    expect(stdout()).toContain("\\u001b]0;pwned\\u0007");
    expect(stdout()).toContain("\\u202e");
  });

  it("rewrites the progress line with its own \\r and clear, the text escaped and cut to the width", () => {
    // Given an output 60 columns wide
    const { output, stderr } = outputs();
    // When a progress line quoting a hostile error is shown, then ended
    output.progress(`archived 3 | account:0 failed (${HOSTILE} and more text to be cut off)`);
    output.endProgress();
    // Then it starts with the program's \r ESC[2K, and nothing else is raw
    const text = stderr();
    expect(text.startsWith("\r\u001b[2Karchived 3 | account:0 failed (\\x1b]0;pwned")).toBe(true);
    expect(text.endsWith("…\n")).toBe(true);
    expect(Array.from(text.slice("\r\u001b[2K".length, -1))).toHaveLength(59);
    expect(rawControls(text.slice("\r\u001b[2K".length, -1))).toEqual([]);
  });

  it("renders text for writers it does not own (readline, the progress bar)", () => {
    const { output } = outputs({ color: true });
    expect(output.render(`Discard ${HOSTILE}?`)).toBe(`Discard ${HOSTILE_ESCAPED}?`);
  });
});

describe("createCliLogger", () => {
  it("writes a hostile record as one escaped line, pretty and JSON", () => {
    // Given a pretty and a JSON logger
    const pretty = capture();
    const json = capture();
    const redact = (text: string) => text.replaceAll("s3cret", "***");
    const loggers = [
      createCliLogger({ level: "warn", format: "pretty", stderr: pretty.stream, redact }),
      createCliLogger({ level: "warn", format: "json", stderr: json.stream, redact }),
    ];
    // When a handler failure quoting hostile data (and a password) is logged
    for (const logger of loggers) {
      logger.error(
        { error: `handler failed on ${HOSTILE} s3cret` },
        `[streamstore] failed on ${HOSTILE}`,
      );
    }
    // Then each is one line with nothing raw, the password masked, and the JSON parses back
    expect(pretty.text()).toBe(`error: [streamstore] failed on ${HOSTILE_ESCAPED}\n`);
    expect(rawControls(json.text().slice(0, -1))).toEqual([]);
    const record = JSON.parse(json.text()) as { error: string; msg: string };
    expect(record.error).toBe(`handler failed on ${HOSTILE} ***`);
    expect(record.msg).toBe(`[streamstore] failed on ${HOSTILE}`);
  });
});
