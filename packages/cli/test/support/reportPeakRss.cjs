// Preloaded into the CLI under test (NODE_OPTIONS=--require): at exit, writes the process's peak
// resident set size in bytes to the file named by STREAMSTORE_TEST_PEAK_RSS_FILE.
const { writeFileSync } = require("node:fs");

const file = process.env.STREAMSTORE_TEST_PEAK_RSS_FILE;
if (file) {
  process.on("exit", () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
