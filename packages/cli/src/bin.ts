#!/usr/bin/env node
import { runCli } from "./program.js";

// Ctrl-C: a command that stops cleanly (tail, --watch, rebuild) asked for the signal and ends by
// itself (a rebuild commits its in-flight batch and releases its leases first); any other command,
// or a second Ctrl-C, ends the process at once with 130 (128 + SIGINT, as shells report it).
const controller = new AbortController();
let handled = false;
process.on("SIGINT", () => {
  if (handled && !controller.signal.aborted) controller.abort();
  else process.exit(130);
});

// A reader that stops early (`streamstore streams | head -1`, `| grep -q`) closes the pipe: that
// is the reader's choice, not a failure, so end quietly as Unix tools do instead of crashing with
// an unhandled EPIPE. CI's pack-check hit exactly that with `--help | grep -q`.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupt: {
    handle() {
      handled = true;
      return controller.signal;
    },
  },
});
