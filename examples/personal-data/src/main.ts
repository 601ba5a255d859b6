import {
  dataSubject,
  defineEvents,
  type Forgotten,
  getRedisEventStore,
  isForgotten,
  isSubjectForgottenError,
  personal,
  personalDataAuditKey,
  silentLogger,
} from "@streamstore/core";
import {
  createRedisReadModelStore,
  defineProjection,
  eraseSubject,
  startProjection,
} from "@streamstore/projections";
import { z } from "zod";
import { isDirectRun, openBackend } from "../../shared/backend.js";

/** Options of {@link main}. */
export interface MainOptions {
  /** A real Redis to run on; the in-memory fake when absent. */
  redisUrl?: string | undefined;
  /** Where the story goes, one line at a time. Default: stdout. */
  print?: (line: string) => void;
}

/** The figures of one run, for the tour and the tests. */
export interface PersonalDataSummary {
  eventsAppended: number;
  /** Personal field values that read back as `{ forgotten: true }` after the forget. */
  fieldsForgotten: number;
  /** Whether the other customer's data read back intact. */
  othersIntact: boolean;
  /** Whether an append for the forgotten customer was refused (SubjectForgottenError). */
  appendRefused: boolean;
}

/**
 * The shop's events. `personal()` fields are encrypted with the customer's own key;
 * `dataSubject()` says whose key. Read back, `email` and `name` are typed `string | Forgotten`.
 */
export const shopEvents = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()),
    email: personal(z.string().email()),
    name: personal(z.string()),
  }),
  OrderPlaced: z.object({ customerId: z.string(), orderId: z.string(), total: z.number() }),
});

type CustomerView = {
  name: string | Forgotten | null;
  email: string | Forgotten | null;
  orders: number;
  spent: number;
};

/** A read model that copies personal fields, so it has to erase them when a customer is forgotten. */
export const customerView = defineProjection(shopEvents, {
  name: "customer-view",
  version: 1,
  source: ["customer"],
  key: (event) => event.data.customerId,
  initialState: (): CustomerView => ({ name: null, email: null, orders: 0, spent: 0 }),
  handlers: {
    CustomerRegistered: (draft, event) => {
      draft.name = event.data.name;
      draft.email = event.data.email;
    },
    OrderPlaced: (draft, event) => {
      draft.orders++;
      draft.spent += event.data.total;
    },
  },
  // What eraseSubject runs after a forget: the documents that may hold the customer's data, and
  // how to remove it (the counts are not personal data and stay).
  personalData: {
    keysOf: (subject) => [subject],
    erase: (draft) => {
      draft.name = null;
      draft.email = null;
    },
  },
});

const show = (value: unknown) => (isForgotten(value) ? "(forgotten)" : JSON.stringify(value));

/**
 * Registers two customers, places orders, forgets one of them, and shows the stream, the raw
 * stored entry and the read model before and after.
 *
 * @example
 * await main({ redisUrl: process.env.REDIS_URL });
 */
export async function main(options: MainOptions = {}): Promise<PersonalDataSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const backend = await openBackend("shop", options.redisUrl);
  const { redis, prefix } = backend;
  const store = getRedisEventStore({
    redis,
    events: shopEvents,
    prefix,
    serverCheck: backend.serverCheck,
    logger: silentLogger,
  });
  const runner = startProjection(customerView, { redis, store, logger: silentLogger });
  try {
    print(`Running on ${backend.name}.`);
    print("");
    print("1. Ada and Bob register; Ada places 3 orders, Bob 1");
    let appended = 0;
    const register = async (customerId: string, email: string, name: string) => {
      await store.append(`customer-${customerId}`, [
        { type: "CustomerRegistered", data: { customerId, email, name } },
      ]);
      appended++;
    };
    const order = async (customerId: string, orderId: string, total: number) => {
      await store.append(`customer-${customerId}`, [
        { type: "OrderPlaced", data: { customerId, orderId, total } },
      ]);
      appended++;
    };
    await register("c-ada", "ada@example.com", "Ada Lovelace");
    await register("c-bob", "bob@example.com", "Bob Babbage");
    await order("c-ada", "o-1", 30);
    await order("c-ada", "o-2", 12);
    await order("c-bob", "o-3", 7);
    await order("c-ada", "o-4", 5);
    await runner.waitUntilCaughtUp(undefined, { timeoutMs: 10_000 });

    const printStream = async (streamName: string) => {
      for await (const event of store.read(streamName)) {
        const data = event.data;
        print(
          `   v${event.version} ${event.type}: ${Object.entries(data)
            .map(([field, value]) => `${field}=${show(value)}`)
            .join(" ")}`,
        );
      }
    };
    const printView = async (customerId: string) => {
      const view = (await runner.get(customerId)) as CustomerView | undefined;
      print(
        `   ${customerId}: name=${show(view?.name)} email=${show(view?.email)} orders=${view?.orders} spent=${view?.spent}`,
      );
    };
    print("   customer-c-ada, read back:");
    await printStream("customer-c-ada");
    const [[, fields] = ["", []]] = (await redis.xrange(
      store.keys.log("customer", 0),
      "-",
      "+",
      "COUNT",
      1,
    )) as [string, string[]][];
    const stored = fields[fields.indexOf("d") + 1] ?? "";
    print(
      "   as stored in Redis (the log entry's data: the personal fields in one AES-256-GCM envelope):",
    );
    print(`   ${stored.length > 110 ? `${stored.slice(0, 110)}…` : stored}`);
    print("   the read model:");
    await printView("c-ada");
    await printView("c-bob");

    print("");
    print('2. Ada asks to be forgotten: store.forgetSubject("c-ada"), then the read model erases');
    await store.forgetSubject("c-ada", { by: "privacy-desk", reason: "erasure request #118" });
    // Other processes stop decrypting within the key cache TTL (10 s by default); a worker could
    // re-derive the data from a warm key until then, so erasing waits for that bound in
    // production. Here this process is the only one, and its own cache forgot at once.
    const erased = await eraseSubject(customerView, {
      readModel: createRedisReadModelStore({ redis, prefix, name: customerView.name }),
      subject: "c-ada",
    });
    print(`   key destroyed; ${erased} read-model document erased`);
    const audit = await redis.xrange(personalDataAuditKey(prefix), "-", "+");
    print(`   audit entry (no personal data): ${JSON.stringify(audit[0]?.[1])}`);

    print("");
    print("3. Afterwards: the events are all there, Ada's personal fields read as forgotten");
    print("   customer-c-ada:");
    await printStream("customer-c-ada");
    print("   customer-c-bob:");
    await printStream("customer-c-bob");
    print("   the read model:");
    await printView("c-ada");
    await printView("c-bob");
    let fieldsForgotten = 0;
    for await (const event of store.read("customer-c-ada")) {
      for (const value of Object.values(event.data)) if (isForgotten(value)) fieldsForgotten++;
    }
    let othersIntact = false;
    for await (const event of store.read("customer-c-bob")) {
      if (event.type === "CustomerRegistered")
        othersIntact = event.data.email === "bob@example.com";
    }

    print("");
    print("4. New personal data for Ada is refused (a returning customer gets a new id)");
    let appendRefused = false;
    try {
      await register("c-ada", "ada@example.org", "Ada L.");
    } catch (error) {
      appendRefused = isSubjectForgottenError(error);
      print(`   ${(error as Error).message.slice(0, 100)}…`);
    }
    print("");
    print(
      `=> ${appended} events appended; after the forget ${fieldsForgotten} of Ada's fields read as forgotten, Bob's data ${othersIntact ? "intact" : "DAMAGED"}.`,
    );
    return { eventsAppended: appended, fieldsForgotten, othersIntact, appendRefused };
  } finally {
    await runner.stop();
    await backend.close();
  }
}

if (isDirectRun(import.meta.url)) {
  main({ redisUrl: process.env.REDIS_URL }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
