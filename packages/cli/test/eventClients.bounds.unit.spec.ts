import { describe, expect, it } from "vitest";
import { createEventClients, type EventClient } from "../src/dashboard/eventClients.js";

/** A client whose socket takes `drains` characters per push off its queue (0: it never reads). */
function fakeClient(drains: number) {
  const client = {
    writableLength: 0,
    written: 0,
    destroyed: false,
    ended: false,
    write(chunk: string) {
      client.writableLength += chunk.length;
      client.written++;
      return true;
    },
    drain() {
      client.writableLength = Math.max(0, client.writableLength - drains);
    },
    end() {
      client.ended = true;
    },
    destroy() {
      client.destroyed = true;
    },
  };
  return client satisfies EventClient;
}

describe("createEventClients", () => {
  it("refuses streams beyond maxClients and counts them", () => {
    const clients = createEventClients({ maxClients: 2 });
    expect(
      [fakeClient(0), fakeClient(0), fakeClient(0)].map((client) => clients.add(client)),
    ).toEqual([true, true, false]);
    expect(clients.stats()).toMatchObject({ clients: 2, maxClients: 2, refusedClients: 1 });
  });

  it("destroys a client that stops reading once a push would queue more than two events for it, and keeps one that reads", () => {
    // Given a reader, a client that never reads, and one that reads two thirds of each event
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_fields: Record<string, unknown>, message: string) => warnings.push(message),
    };
    const clients = createEventClients({ maxClients: 10, logger, minQueueBound: 0 });
    const event = "x".repeat(300);
    const reader = fakeClient(300);
    const stalled = fakeClient(0);
    const slow = fakeClient(200);
    for (const client of [reader, stalled, slow]) clients.add(client);

    // When 10 events are pushed
    for (let push = 0; push < 10; push++) {
      clients.broadcast(event);
      for (const client of [reader, stalled, slow]) client.drain();
    }

    // Then the stalled client got two events and was destroyed at the third; the slow one later;
    // the reader got all ten; nothing ever held more than two events
    expect(stalled).toMatchObject({ written: 2, destroyed: true });
    expect(slow.destroyed).toBe(true);
    expect(slow.written).toBe(4);
    expect(reader).toMatchObject({ written: 10, destroyed: false });
    expect(clients.stats()).toMatchObject({ clients: 1, droppedClients: 2 });
    expect(clients.stats().peakQueuedBytes).toBeLessThanOrEqual(3 * 2 * event.length);
    expect(warnings[0]).toBe(
      "[streamstore] dashboard: ended an event stream whose client stopped reading (600 characters still queued, bound 600); 1 dropped so far. A browser reconnects by itself.",
    );
  });

  it("lets small events queue up to the floor before dropping (a short stall is no reason)", () => {
    const clients = createEventClients({ maxClients: 1, minQueueBound: 1000 });
    const stalled = fakeClient(0);
    clients.add(stalled);
    for (let push = 0; push < 12; push++) clients.broadcast("x".repeat(100));
    expect(stalled).toMatchObject({ written: 10, destroyed: true });
  });
});
