import { randomBytes } from "node:crypto";
import { escapeControlCharacters, replaceUnsafeCharacters } from "@streamstore/core/internal";

/**
 * How the CLI's own control sequences (colors, a line break inside one text, clearing the screen)
 * survive while every control character of untrusted text is escaped: commands compose their text
 * from values and markup, and by then the two cannot be told apart. So markup travels as tokens
 * (a private-use character, a random key made per process, the character's code) that untrusted
 * text cannot forge; rendering escapes every raw control character (all untrusted), then turns the
 * tokens back into the sequences.
 *
 * @example
 * const markup = createTerminalMarkup();
 * markup.render(`${markup.mark("\u001b[1m")}bold${markup.mark("\u001b[22m")} ${untrusted}`);
 */
export interface TerminalMarkup {
  /** `sequence` (the program's own, never a value) as tokens that {@link render} writes raw. */
  mark(sequence: string): string;
  /**
   * `text` as written to the terminal: its raw control, bidi and invisible characters escaped
   * (`\x1b`, `\n`, `\u202e`: core's escapeControlCharacters), its marked sequences raw.
   */
  render(text: string): string;
  /**
   * Rendered text (whose raw control characters are therefore all the program's own, as a
   * rendered table's) as marked text again, to be embedded in another text and rendered with it.
   */
  protect(rendered: string): string;
}

const OPEN = "\u{e000}";
const CLOSE = "\u{e001}";

/**
 * Creates the markup of one process (a fresh random key: a token seen in one run means nothing
 * in another).
 *
 * @example
 * const markup = createTerminalMarkup();
 */
export function createTerminalMarkup(key = randomBytes(12).toString("hex")): TerminalMarkup {
  const token = (_character: string, codePoint: number) =>
    `${OPEN}${key}${codePoint.toString(16)}${CLOSE}`;
  const tokens = new RegExp(`${OPEN}${key}([0-9a-f]{1,6})${CLOSE}`, "gu");
  const mark = (sequence: string) => replaceUnsafeCharacters(sequence, token);
  return {
    mark,
    render: (text) =>
      escapeControlCharacters(text).replace(tokens, (_token, code: string) =>
        String.fromCodePoint(Number.parseInt(code, 16)),
      ),
    protect: mark,
  };
}
