import { spawn } from "node:child_process";
import { BIN, ROOT } from "./cli.js";

/** The binary running in a pseudo-terminal: everything it printed so far, and typing into it. */
export interface TerminalRun {
  screen(): string;
  type(text: string): void;
  /** Resolves once the screen matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  done: Promise<{ code: number | null; screen: string }>;
}

/**
 * Runs the binary in a pseudo-terminal made by util-linux `script` (no native node-pty): what it
 * prints is what a user sees, and Ctrl-C and answers are typed into the terminal, so the kernel's
 * line discipline delivers the SIGINT.
 *
 * @example
 * const run = inTerminal(["archive", "run", "--keep 7d"], { REDIS_URL: url });
 * await run.waitFor(/archived/);
 * run.type("\u0003");
 */
export function inTerminal(args: string[], env: Record<string, string> = {}): TerminalRun {
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
  // `exec`: node itself is the terminal's foreground process, not a shell waiting on it, so the
  // Ctrl-C reaches only the CLI and script's -e returns the CLI's own exit code.
  const command = `exec ${[process.execPath, BIN, ...args].map(quote).join(" ")}`;
  const { REDIS_URL: _ignored, STREAMSTORE_CONFIG: _config, ...inherited } = process.env;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: ROOT,
    env: { ...inherited, NO_COLOR: "1", TERM: "xterm", COLUMNS: "160", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  const waiting = new Set<() => void>();
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    for (const check of waiting) check();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
  });
  const done = new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      for (const check of waiting) check();
      resolve({ code, screen });
    });
  });
  return {
    screen: () => screen,
    type: (text) => child.stdin.write(text),
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(screen);
          if (match) {
            waiting.delete(check);
            clearTimeout(timer);
            resolve(match);
          } else if (child.exitCode !== null) {
            waiting.delete(check);
            clearTimeout(timer);
            reject(new Error(`exited (${child.exitCode}) before ${pattern}:\n${screen}`));
          }
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${screen}`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
    done,
  };
}
