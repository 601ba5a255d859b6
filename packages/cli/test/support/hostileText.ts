const ESC = "\u001b";
const BEL = "\u0007";

/**
 * The probe's text (issue 14): a window title (OSC 0), a screen clear, an OSC 8 link, a carriage
 * return, a right-to-left override, NEL and CSI (C1), DEL, a line break and a line separator.
 */
export const HOSTILE = [
  `${ESC}]0;pwned${BEL}`,
  `${ESC}[2J`,
  `${ESC}]8;;http://evil/${ESC}\\click${ESC}]8;;${ESC}\\`,
  "over\rwritten",
  "\u202eabc",
  "next\u0085line",
  "\u009b31m",
  "del\u007f",
  "two\nlines",
  "sep\u2028x",
].join(" ");

/** {@link HOSTILE} as the CLI shows it: each character as a visible escape. */
export const HOSTILE_ESCAPED = [
  "\\x1b]0;pwned\\x07",
  "\\x1b[2J",
  "\\x1b]8;;http://evil/\\x1b\\click\\x1b]8;;\\x1b\\",
  "over\\rwritten",
  "\\u202eabc",
  "next\\x85line",
  "\\x9b31m",
  "del\\x7f",
  "two\\nlines",
  "sep\\u2028x",
].join(" ");

/** What must never reach a terminal raw, listed here independently of the code under test. */
function isForbidden(codePoint: number): boolean {
  return (
    codePoint <= 0x1f || // C0
    (codePoint >= 0x7f && codePoint <= 0x9f) || // DEL, C1
    codePoint === 0x61c ||
    (codePoint >= 0x200b && codePoint <= 0x200f) || // zero-width, LRM, RLM
    (codePoint >= 0x2028 && codePoint <= 0x202e) || // separators, embeddings, overrides
    codePoint === 0x2060 ||
    (codePoint >= 0x2066 && codePoint <= 0x2069) || // isolates
    codePoint === 0xfeff ||
    (codePoint >= 0xd800 && codePoint <= 0xdfff) // a lone surrogate (pairs iterate as one)
  );
}

/**
 * The forbidden characters `text` holds raw, with where (`U+001B at 12`), so a failure says what
 * leaked; empty when none. Callers remove the line ends they expect first.
 *
 * @example
 * expect(rawControls(stdout.replaceAll("\n", ""))).toEqual([]);
 */
export function rawControls(text: string): string[] {
  const found: string[] = [];
  let offset = 0;
  for (const character of text) {
    const codePoint = character.codePointAt(0) as number;
    if (isForbidden(codePoint)) {
      found.push(
        `U+${codePoint.toString(16).padStart(4, "0").toUpperCase()} at ${offset}: …${JSON.stringify(text.slice(Math.max(0, offset - 20), offset + 20))}…`,
      );
    }
    offset += character.length;
  }
  return found;
}

/** The SGR codes of the CLI's own colors (bold, dim, red, green, yellow, cyan, and their ends). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequences are the point.
export const CLI_COLORS = /\u001b\[(1|2|22|31|32|33|36|39)m/g;
