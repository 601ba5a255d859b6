import { consoleWarningLogger } from "@streamstore/core";
import {
  escapeControlCharacters,
  replaceUnsafeCharacters,
  stringifyJsonSafely,
} from "@streamstore/core/internal";
import { afterEach, describe, expect, it, vi } from "vitest";

// Issue 14: untrusted text (event data, handler errors, keys written by a tenant) must never drive
// an operator's terminal: no raw control, bidi or invisible character reaches it.

const ESC = "\u001b";
const BEL = "\u0007";
/** The probe's strings: a window title, a screen clear, an OSC 8 link, \r, RLO, NEL, CSI (C1), DEL. */
const HOSTILE = [
  `${ESC}]0;pwned${BEL}`,
  `${ESC}[2J`,
  `${ESC}]8;;http://evil/${ESC}\\click${ESC}]8;;${ESC}\\`,
  "over\rwritten",
  "\u202eabc",
  "next\u0085line",
  "\u009b31m",
  "del\u007f",
].join(" ");

/** Every code point that must not be printed raw (the documented set). */
const UNSAFE: number[] = [
  ...range(0x00, 0x1f),
  ...range(0x7f, 0x9f),
  0xad,
  0x61c,
  0x180e,
  ...range(0x200b, 0x200f),
  ...range(0x2028, 0x202e),
  ...range(0x2060, 0x2064),
  ...range(0x2066, 0x206f),
  0xfeff,
  ...range(0xfff9, 0xfffb),
  0xe0001,
  ...range(0xe0020, 0xe007f),
];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

const UNSAFE_SET = new Set(UNSAFE);

/** True when `text` holds any character of the set above, or a lone surrogate, raw. */
function hasRawUnsafe(text: string): boolean {
  for (const character of text) {
    const codePoint = character.codePointAt(0) as number;
    if (UNSAFE_SET.has(codePoint) || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return true;
  }
  return false;
}

describe("escapeControlCharacters", () => {
  it("writes each hostile sequence as visible escapes, keeping the text recognisable", () => {
    // Given the probe's hostile strings
    // When escaped
    const safe = escapeControlCharacters(HOSTILE);
    // Then nothing unsafe is left, and each sequence reads as what it was
    expect(hasRawUnsafe(safe)).toBe(false);
    expect(safe).toBe(
      [
        "\\x1b]0;pwned\\x07",
        "\\x1b[2J",
        "\\x1b]8;;http://evil/\\x1b\\click\\x1b]8;;\\x1b\\",
        "over\\rwritten",
        "\\u202eabc",
        "next\\x85line",
        "\\x9b31m",
        "del\\x7f",
      ].join(" "),
    );
  });

  it("escapes every code point of the documented set, and \\n and \\t as \\n and \\t", () => {
    // Given each unsafe code point alone
    for (const codePoint of UNSAFE) {
      // When escaped
      const safe = escapeControlCharacters(`a${String.fromCodePoint(codePoint)}b`);
      // Then it is a backslash escape between the letters, with no raw character left
      expect(safe, `U+${codePoint.toString(16)}`).toMatch(
        /^a\\(x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]{5}\}|[nrt])b$/,
      );
    }
    expect(escapeControlCharacters("a\nb\tc")).toBe("a\\nb\\tc");
    expect(escapeControlCharacters("\u{e0041}")).toBe("\\u{e0041}");
  });

  it("escapes a lone surrogate but keeps a pair (an emoji), accents, CJK, backslashes and private-use characters", () => {
    // Given printable text of every kind and two lone surrogates
    const printable = "café 中文 😀 C:\\path \\x1b typed \u{e000} ~";
    // When escaped
    // Then the printable text is unchanged, and the lone halves are escaped
    expect(escapeControlCharacters(printable)).toBe(printable);
    expect(escapeControlCharacters("a\ud800b\udfffc")).toBe("a\\ud800b\\udfffc");
  });

  it("lets \\n through only with keepLineBreaks (text whose lines are the program's own)", () => {
    // Given text with line breaks and an ESC
    const text = `usage:\n  streamstore ${ESC}[2J\r\n`;
    // When escaped keeping line breaks
    // Then \n stays, \r and ESC do not
    expect(escapeControlCharacters(text, { keepLineBreaks: true })).toBe(
      "usage:\n  streamstore \\x1b[2J\\r\n",
    );
  });
});

describe("replaceUnsafeCharacters", () => {
  it("hands each unsafe code point (an astral one whole) to the replacement, and returns safe text as it is", () => {
    // Given text with an ESC, a tag character and printable text
    const seen: number[] = [];
    // When replacing
    const replaced = replaceUnsafeCharacters(`a${ESC}b\u{e0041}c`, (_character, codePoint) => {
      seen.push(codePoint);
      return "_";
    });
    // Then each was handed over once, and safe text comes back untouched
    expect(replaced).toBe("a_b_c");
    expect(seen).toEqual([0x1b, 0xe0041]);
    expect(replaceUnsafeCharacters("plain", () => "_")).toBe("plain");
  });
});

describe("stringifyJsonSafely", () => {
  it("escapes what JSON.stringify leaves raw (DEL, C1, U+2028/9, bidi, invisible, tags) and parses back to the same value", () => {
    // Given a value holding every unsafe code point, in a key and in values
    const everything = UNSAFE.map((codePoint) => String.fromCodePoint(codePoint)).join("");
    const value = { [`k${everything}`]: [everything, { nested: HOSTILE }], n: 1 };
    // When stringified, compact and indented
    for (const json of [stringifyJsonSafely(value), stringifyJsonSafely(value, undefined, 2)]) {
      // Then no unsafe character is raw (but the indentation's line breaks), and it parses back
      expect(hasRawUnsafe(json.replaceAll("\n", ""))).toBe(false);
      expect(JSON.parse(json)).toEqual(value);
    }
    expect(stringifyJsonSafely({ s: "\u202e\u0085\u007f\u2028" })).toBe(
      '{"s":"\\u202e\\u0085\\u007f\\u2028"}',
    );
    expect(JSON.stringify({ s: "\u202e" })).toBe('{"s":"\u202e"}');
  });

  it("takes a replacer and an indentation as JSON.stringify does; undefined gives null", () => {
    // Given an Error field and a replacer that writes errors as their message
    const json = stringifyJsonSafely(
      { error: new Error(`failed on ${ESC}[2J`) },
      (_key, value) => (value instanceof Error ? value.message : value),
      2,
    );
    // Then the replacer applied, and the indentation is JSON.stringify's
    expect(json).toBe('{\n  "error": "failed on \\u001b[2J"\n}');
    expect(stringifyJsonSafely(undefined)).toBe("null");
  });
});

describe("consoleWarningLogger", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes a hostile message and hostile fields as escapes, never raw", () => {
    // Given stderr captured
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    // When a handler's error quoting hostile data is logged
    consoleWarningLogger.error(
      { error: new Error(`handler failed on ${HOSTILE}`), data: HOSTILE },
      `[streamstore] handler failed on ${HOSTILE}`,
    );
    // Then the one line holds no raw unsafe character but its end, and reads as the text
    const [line = ""] = written;
    expect(written).toHaveLength(1);
    expect(line.endsWith("\n")).toBe(true);
    expect(hasRawUnsafe(line.slice(0, -1))).toBe(false);
    expect(line).toContain("[streamstore] handler failed on \\x1b]0;pwned\\x07 \\x1b[2J");
    expect(line).toContain('"error":"handler failed on \\u001b]0;pwned\\u0007');
    expect(line).toContain("\\u202eabc");
  });
});
