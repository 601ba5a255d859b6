import Table from "cli-table3";
import pc from "picocolors";

/**
 * Where a command writes: data to stdout (a table or text for people, one JSON document with
 * `--json`), notes and progress to stderr, so that `--json` output can always be piped.
 *
 * @example
 * output.data(rows, () => output.table(["stream", "version"], rows.map((r) => [r.name, r.version])));
 */
export interface Output {
  /** True with `--json`. */
  readonly json: boolean;
  /** Colors: on for a terminal, off with `--no-color`, `NO_COLOR` or a pipe. */
  readonly colors: ReturnType<typeof pc.createColors>;
  /** Prints `value` as JSON with `--json`, else calls `pretty`. */
  data(value: unknown, pretty: () => void): void;
  /** A line to stdout. */
  line(text?: string): void;
  /** A note to stderr (never mixed into `--json` data). */
  note(text: string): void;
  /** Renders a table to stdout. */
  table(head: string[], rows: (string | number)[][]): void;
  /** Renders a table to a string (for `--watch` screens). */
  renderTable(head: string[], rows: (string | number)[][]): string;
}

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
}): Output {
  const { stdout, stderr } = options;
  const colors = pc.createColors(options.color);
  const renderTable = (head: string[], rows: (string | number)[][]): string => {
    const table = new Table({
      head: head.map((title) => colors.bold(title)),
      style: { head: [], border: [] },
    });
    for (const row of rows) table.push(row.map(String));
    return table.toString();
  };
  return {
    json: options.json,
    colors,
    data(value, pretty) {
      if (options.json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else pretty();
    },
    line(text = "") {
      stdout.write(`${text}\n`);
    },
    note(text) {
      stderr.write(`${text}\n`);
    },
    table(head, rows) {
      stdout.write(`${renderTable(head, rows)}\n`);
    },
    renderTable,
  };
}
