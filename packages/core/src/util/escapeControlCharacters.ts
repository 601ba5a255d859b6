/**
 * Untrusted text (event data, handler errors, anything read from Redis) on its way to a terminal or
 * a log: every character that could drive the terminal or hide or reorder what is shown is
 * replaced by an escape that shows which one it was, so the text stays recognisable and nothing in
 * it acts. One character class, used by the CLI's output and loggers and by core's console logger.
 */

/**
 * The code points that never reach a terminal raw, inclusive ranges: C0 (line breaks and tabs
 * too), DEL and C1 (U+0085 NEL, U+009B CSI), the soft hyphen, bidi marks, embeddings, overrides
 * and isolates, zero-width and invisible characters, line and paragraph separators, the BOM,
 * interlinear annotations, tag characters (invisible copies of ASCII) and lone surrogates.
 */
const UNSAFE_RANGES: readonly (readonly [number, number])[] = [
  [0x00, 0x1f], // C0: ESC, BEL, \r, \n, \t, ...
  [0x7f, 0x9f], // DEL, C1 (U+0085 NEL, U+009B CSI, U+009D OSC)
  [0xad, 0xad], // soft hyphen
  [0x61c, 0x61c], // Arabic letter mark (bidi)
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x200b, 0x200f], // zero-width space, non-joiner, joiner; LRM, RLM
  [0x2028, 0x202e], // line and paragraph separators; bidi embeddings and overrides (U+202E)
  [0x2060, 0x2064], // word joiner, invisible operators
  [0x2066, 0x206f], // bidi isolates, deprecated format characters
  [0xd800, 0xdfff], // surrogates: only a lone one matches (a pair is one astral code point)
  [0xfeff, 0xfeff], // zero-width no-break space (BOM)
  [0xfff9, 0xfffb], // interlinear annotation
  [0xe0000, 0xe007f], // tag characters
];

const hex = (codePoint: number) => codePoint.toString(16);

/** A class matching one unsafe code point; built from a string, so no control character is in the source. */
const UNSAFE_SOURCE = `[${UNSAFE_RANGES.map(([from, to]) => `\\u{${hex(from)}}-\\u{${hex(to)}}`).join("")}]`;
const UNSAFE_ANYWHERE = new RegExp(UNSAFE_SOURCE, "u");
const UNSAFE_EACH = new RegExp(UNSAFE_SOURCE, "gu");

const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` with each unsafe code point (see {@link escapeControlCharacters}) replaced by what
 * `replace` returns for it; `text` itself when it has none. The one place the character class is
 * applied: the CLI's terminal markup uses it with its own replacement.
 *
 * @example
 * replaceUnsafeCharacters("a\u001bb", () => "?"); // "a?b"
 */
export function replaceUnsafeCharacters(
  text: string,
  replace: (character: string, codePoint: number) => string,
): string {
  if (!UNSAFE_ANYWHERE.test(text)) return text;
  return text.replace(UNSAFE_EACH, (character) =>
    replace(character, character.codePointAt(0) as number),
  );
}

/**
 * The escape shown for one unsafe code point: `\n`, `\r`, `\t`; `\xNN` up to U+00FF (`\x1b`,
 * `\x9b`, `\x7f`); `\uNNNN` in the BMP (`\u202e`, a lone `\ud800`); `\u{NNNNN}` beyond.
 *
 * @example
 * escapeOf("\u202e", 0x202e); // "\\u202e"
 */
function escapeOf(character: string, codePoint: number): string {
  const short = SHORT_ESCAPES[character];
  if (short) return short;
  if (codePoint <= 0xff) return `\\x${hex(codePoint).padStart(2, "0")}`;
  if (codePoint <= 0xffff) return `\\u${hex(codePoint).padStart(4, "0")}`;
  return `\\u{${hex(codePoint)}}`;
}

/**
 * Untrusted text made safe for a terminal or a log line: every control character (C0, line breaks
 * and tabs included, DEL, C1), bidi control, zero-width or invisible character, line or paragraph
 * separator, tag character and lone surrogate is replaced by a visible escape (`\x1b`, `\n`,
 * `\x9b`, `\u202e`, `\ud800`), so `ESC]0;title BEL` cannot retitle the window, `ESC[2J` cannot
 * clear the screen, `\r` cannot overwrite a line and U+202E cannot reverse it, and the text is
 * still recognisable. Backslashes are left as they are. `keepLineBreaks` lets `\n` through, for
 * text whose lines are the program's own (help text), never for a value.
 *
 * @example
 * escapeControlCharacters("handler failed on \u001b]0;pwned\u0007"); // "handler failed on \\x1b]0;pwned\\x07"
 */
export function escapeControlCharacters(
  text: string,
  options: { keepLineBreaks?: boolean } = {},
): string {
  return replaceUnsafeCharacters(text, (character, codePoint) =>
    options.keepLineBreaks && character === "\n" ? character : escapeOf(character, codePoint),
  );
}

/**
 * `JSON.stringify` whose output is safe to print too: JSON.stringify escapes C0 but leaves DEL,
 * C1, bidi controls, U+2028/U+2029 and invisible characters raw; here each is written as a
 * `\uNNNN` escape (a surrogate pair for a tag character). Still valid JSON that parses back to the
 * same value. `undefined` (nothing to write) gives `null`.
 *
 * @example
 * stringifyJsonSafely({ s: "\u202eabc" }); // '{"s":"\\u202eabc"}'
 */
export function stringifyJsonSafely(
  value: unknown,
  replacer?: (this: unknown, key: string, value: unknown) => unknown,
  space?: number,
): string {
  const json = JSON.stringify(value, replacer, space) ?? "null";
  // The only raw C0 left in JSON.stringify's output is its own indentation's "\n"; every other
  // unsafe character can only be inside a string literal, where a \u escape means the same.
  return replaceUnsafeCharacters(json, (character, codePoint) =>
    codePoint < 0x20
      ? character
      : Array.from(
          { length: character.length },
          (_, index) => `\\u${hex(character.charCodeAt(index)).padStart(4, "0")}`,
        ).join(""),
  );
}
