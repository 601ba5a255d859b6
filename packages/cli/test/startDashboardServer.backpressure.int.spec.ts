import { type ChildProcess, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { EventClientStats } from "../src/dashboard/eventClients.js";
import { httpGet, type OpenEvents, openEvents } from "./support/dashboardHttp.js";

// Issue 14: 200 event streams whose clients never read held 40 MB with 190 KB snapshots, and more
// with every push. The server runs in a process of its own (test/fixtures/dashboardPushServer.ts)
// so that the memory it reports is its own; the test drives its pushes one at a time.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("fixtures/dashboardPushServer.ts", import.meta.url));
const TSX_ESM = new URL("../../../node_modules/tsx/dist/esm/index.mjs", import.meta.url).href;
const SNAPSHOT_CHARS = 190_000;
const STALLED = 200;
const MB = 1024 * 1024;

interface Memory {
  rss: number;
  heapUsed: number;
}
type Fact =
  | { type: "ready"; url: string }
  | { type: "waiting"; stats: EventClientStats; memory: Memory }
  | { type: "dropped"; queued: number; bound: number; droppedClients: number; message: string };

/** The fixture server, its facts as they come, and a way to wait for the next of a type. */
function startPushServer(args: string[]) {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", TSX_ESM, "--conditions=@streamstore/source", FIXTURE, ...args],
    { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
  );
  const facts: Fact[] = [];
  /** Every fact reported, in order. */
  const seen: Fact[] = [];
  const listeners = new Set<() => void>();
  let exited = false;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const fact = JSON.parse(line) as Fact;
    facts.push(fact);
    seen.push(fact);
    for (const listener of listeners) listener();
  });
  child.once("exit", () => {
    exited = true;
    for (const listener of listeners) listener();
  });
  return {
    child,
    seen,
    next<T extends Fact["type"]>(type: T): Promise<Extract<Fact, { type: T }>> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = facts.findIndex((fact) => fact.type === type);
          if (index >= 0) {
            listeners.delete(check);
            const [fact] = facts.splice(index, 1) as [Extract<Fact, { type: T }>];
            resolve(fact);
          } else if (exited) {
            listeners.delete(check);
            reject(new Error(`the fixture server exited before reporting "${type}"`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    /** Sends a command and resolves the report the server makes when it waits again. */
    async command(line: "push" | "gc") {
      child.stdin?.write(`${line}\n`);
      return this.next("waiting");
    },
  };
}

/** A raw connection that asks for the event stream, reads the answer's first bytes, then stops reading. */
function stalledClient(url: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () =>
      socket.write(`GET /api/events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`),
    );
    socket.once("error", reject);
    socket.once("data", (head: Buffer) => {
      expect(head.toString("latin1")).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      socket.pause();
      resolve(socket);
    });
  });
}

describe("startDashboardServer: clients that stop reading", () => {
  let child: ChildProcess | undefined;
  const sockets: Socket[] = [];
  let control: OpenEvents | undefined;

  afterAll(() => {
    control?.close();
    for (const socket of sockets) socket.destroy();
    child?.kill();
  });

  it("ends each of 200 event streams whose client never reads once two events are queued for it, keeps the one that reads, and the server's memory stays bounded", async () => {
    // Given the server (room for 201 streams) and its memory at rest
    const server = startPushServer([String(SNAPSHOT_CHARS), String(STALLED + 1)]);
    child = server.child;
    const url = new URL((await server.next("ready")).url);
    await server.next("waiting");
    const baseline = (await server.command("gc")).memory;

    // When one page reads its stream and 200 clients ask for theirs and never read
    control = await openEvents(new URL("api/events", url));
    await control.waitFor(/event: history/);
    sockets.push(...(await Promise.all(Array.from({ length: STALLED }, () => stalledClient(url)))));
    expect((await server.command("gc")).stats.clients).toBe(STALLED + 1);

    // And samples of 190 KB are pushed until every stalled stream was ended, then 10 more
    let pushes = 0;
    let peakRss = 0;
    let report = await server.command("push");
    for (pushes = 1; pushes < 100 && report.stats.droppedClients < STALLED; pushes++) {
      peakRss = Math.max(peakRss, report.memory.rss);
      report = await server.command("push");
    }
    const pushesToDropAll = pushes;
    for (let more = 0; more < 10; more++, pushes++) {
      peakRss = Math.max(peakRss, report.memory.rss);
      report = await server.command("push");
    }
    peakRss = Math.max(peakRss, report.memory.rss);
    const settled = await server.command("gc");

    // Then every stalled stream was ended, each drop logged and counted; the reading page was not
    expect(report.stats).toMatchObject({ clients: 1, droppedClients: STALLED, refusedClients: 0 });
    const drops = server.seen.filter((fact) => fact.type === "dropped");
    expect(drops).toHaveLength(STALLED);
    expect(drops[0]?.message).toMatch(
      /^\[streamstore\] dashboard: ended an event stream whose client stopped reading \(\d+ characters still queued, bound \d+\); 1 dropped so far\. A browser reconnects by itself\.$/,
    );
    const telemetry = JSON.parse((await httpGet(new URL("api/snapshot", url))).body) as {
      server: EventClientStats;
    };
    expect(telemetry.server).toMatchObject({ clients: 1, droppedClients: STALLED });
    // (the fixture's first sample, taken before it listened, is at 1000; push n is at (n + 1) * 1000)
    await control.waitFor(new RegExp(`"sample":\\{"at":${(pushes + 1) * 1000},`));
    expect(control.text().split("event: sample").length - 1).toBe(pushes);
    // And no client ever had more than two events queued: the server's queues stayed bounded
    const eventChars = SNAPSHOT_CHARS + 1000;
    expect(report.stats.peakQueuedBytes).toBeLessThanOrEqual((STALLED + 1) * 2 * eventChars);
    // And the heap, once collected, holds no more than a few snapshots (what every push left
    // queued would be pushes x 190 KB), the process's peak no more than the bound plus the runtime
    const heapGrowth = settled.memory.heapUsed - baseline.heapUsed;
    expect(heapGrowth).toBeLessThan(8 * SNAPSHOT_CHARS);
    const rssGrowth = peakRss - baseline.rss;
    expect(rssGrowth).toBeLessThan((STALLED + 1) * 2 * eventChars + 64 * MB);

    // When the stalled clients read at last, each sees its stream end after what was sent before
    const received = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<number>((resolve) => {
            let bytes = 0;
            socket.on("data", (chunk: Buffer) => {
              bytes += chunk.length;
            });
            socket.once("close", () => resolve(bytes));
            socket.resume();
          }),
      ),
    );
    const most = Math.max(...received);
    expect(most).toBeLessThan(pushesToDropAll * eventChars);

    console.log(
      `[dashboard backpressure] ${STALLED} stalled streams + 1 reading, ${SNAPSHOT_CHARS / 1000} KB snapshots: all stalled streams ended after ${pushesToDropAll} pushes (${pushes} pushed); peak queued in the server ${(report.stats.peakQueuedBytes / MB).toFixed(1)} MB (bound ${(((STALLED + 1) * 2 * eventChars) / MB).toFixed(1)} MB); server RSS peak +${(rssGrowth / MB).toFixed(1)} MB over ${(baseline.rss / MB).toFixed(0)} MB; heap after GC +${(heapGrowth / MB).toFixed(2)} MB; a stalled client received at most ${(most / MB).toFixed(2)} MB before its end (the kernel's socket buffers)`,
    );
  });
});
