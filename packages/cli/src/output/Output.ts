import { stringifyJsonSafely } from "@streamstore/core/internal";
import Table from "cli-table3";
import { createTerminalMarkup } from "./terminalMarkup.js";

/**
 * The styles commands color text with: each returns its text styled (or unchanged with colors
 * off), as markup that survives the escaping of everything else.
 *
 * @example
 * output.line(`${output.colors.bold(name)}  ${output.colors.red("failed")}`);
 */
export interface Colors {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/**
 * Where a command writes: data to stdout (a table or text for people, one JSON document with
 * `--json`), notes and progress to stderr, so that `--json` output can always be piped.
 *
 * Every text is untrusted (it quotes stream names, event data, handler errors, keys anyone with
 * write access to the prefix may have written): each control, bidi and invisible character in it,
 * line breaks and tabs too, is written as a visible escape (`\x1b`, `\n`, `\u202e`), so nothing
 * printed can drive the terminal. The CLI's own sequences come from {@link Output.colors},
 * {@link Output.lineBreak} and {@link Output.clearScreen} only. JSON is written with the same
 * characters as `\u` escapes (still valid JSON, parsing back to the same strings).
 *
 * @example
 * output.data(rows, () => output.table(["stream", "version"], rows.map((r) => [r.name, r.version])));
 */
export interface Output {
  /** True with `--json`. */
  readonly json: boolean;
  /** Colors: on for a terminal, off with `--no-color`, `NO_COLOR` or a pipe. */
  readonly colors: Colors;
  /** A line break inside one text (a `"\n"` written in the text itself would be shown as `\n`). */
  readonly lineBreak: string;
  /** Clears the terminal and moves the cursor home (a `--watch` screen redrawn in place). */
  readonly clearScreen: string;
  /** Prints `value` as JSON with `--json`, else calls `pretty`. */
  data(value: unknown, pretty: () => void): void;
  /** One JSON document on one line (NDJSON: `tail --json`, `--watch --json`, JSON progress on stderr). */
  jsonLine(value: unknown, to?: "stdout" | "stderr"): void;
  /**
   * A line of JSON text built with `stringifyJsonSafely` (a document streamed piece by piece,
   * `pagedListing`), written as it is: its control characters are already `\u` escapes, and its
   * own line breaks are the document's layout.
   */
  jsonText(text: string): void;
  /** A line to stdout. */
  line(text?: string): void;
  /** A note to stderr (never mixed into `--json` data). */
  note(text: string): void;
  /** Renders a table to stdout (each cell one line unless it uses {@link Output.lineBreak}). */
  table(head: string[], rows: (string | number)[][]): void;
  /** Renders a table to a text that {@link Output.line} prints as it is (for `--watch` screens). */
  renderTable(head: string[], rows: (string | number)[][]): string;
  /** Rewrites the progress line at the bottom of a terminal (stderr), cut to its width. */
  progress(text: string): void;
  /** Ends the progress line (the next note starts below it). */
  endProgress(): void;
  /**
   * `text` as this output writes it, for writers it does not own (readline's question, the
   * progress bar's format): untrusted characters escaped, markup applied.
   */
  render(text: string): string;
}

/** SGR codes of {@link Colors}: [on, off]. */
const STYLES: Record<keyof Colors, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/**
 * Creates the output of one command run.
 *
 * @example
 * const output = createOutput({ json: false, color: true, stdout: process.stdout, stderr: process.stderr });
 */
export function createOutput(options: {
  json: boolean;
  color: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The terminal's width for {@link Output.progress} (default: stderr's columns, else 120). */
  columns?: () => number;
}): Output {
  const { stdout, stderr } = options;
  const markup = createTerminalMarkup();
  const style =
    ([on, off]: [number, number]) =>
    (text: string) =>
      options.color
        ? `${markup.mark(`\u001b[${on}m`)}${text}${markup.mark(`\u001b[${off}m`)}`
        : text;
  const colors = Object.fromEntries(
    Object.entries(STYLES).map(([name, codes]) => [name, style(codes)]),
  ) as unknown as Colors;
  const columns = options.columns ?? (() => (stderr as { columns?: number }).columns || 120);
  const renderTable = (head: string[], rows: (string | number)[][]): string => {
    const table = new Table({
      // Rendered before cli-table3 measures them: their widths are the escaped text's.
      head: head.map((title) => markup.render(colors.bold(title))),
      style: { head: [], border: [] },
    });
    for (const row of rows) table.push(row.map((cell) => markup.render(String(cell))));
    return markup.protect(table.toString());
  };
  return {
    json: options.json,
    colors,
    lineBreak: markup.mark("\n"),
    clearScreen: markup.mark("\u001b[2J\u001b[H"),
    data(value, pretty) {
      if (options.json) stdout.write(`${stringifyJsonSafely(value, undefined, 2)}\n`);
      else pretty();
    },
    jsonLine(value, to = "stdout") {
      (to === "stdout" ? stdout : stderr).write(`${stringifyJsonSafely(value)}\n`);
    },
    jsonText(text) {
      stdout.write(`${text}\n`);
    },
    line(text = "") {
      stdout.write(`${markup.render(text)}\n`);
    },
    note(text) {
      stderr.write(`${markup.render(text)}\n`);
    },
    table(head, rows) {
      stdout.write(`${markup.render(renderTable(head, rows))}\n`);
    },
    renderTable,
    progress(text) {
      const width = Math.max(20, columns() - 1);
      // Cut by code points (never half a surrogate pair), after escaping (escapes are wider).
      const characters = Array.from(markup.render(text));
      const line =
        characters.length > width
          ? `${characters.slice(0, width - 1).join("")}…`
          : characters.join("");
      // Carriage return and clear the line: the program's own, written after the text was escaped.
      stderr.write(`\r\u001b[2K${line}`);
    },
    endProgress() {
      stderr.write("\n");
    },
    render: markup.render,
  };
}
