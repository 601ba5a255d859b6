// What the streamstore CLI needs to know about this app (read from the working directory):
// its key prefix, its events (to decode them) and its projections (status, rebuild).
import { defineConfig } from "@streamstore/cli";
import { events } from "./src/events.js";
import { balances } from "./src/projection.js";

export default defineConfig({
  prefix: process.env.KEY_PREFIX ?? "tutorial",
  events,
  projections: [balances],
});
