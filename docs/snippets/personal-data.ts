// docs/personal-data.md: declaring personal fields, forgetting a subject, a KMS key store, and a
// read model's erase hook.
import {
  createRedisKeyStore,
  dataSubject,
  defineEvents,
  type Forgotten,
  getRedisEventStore,
  isForgotten,
  personal,
} from "@streamstore/core";
import {
  createRedisReadModelStore,
  defineProjection,
  eraseSubject,
} from "@streamstore/projections";
import type { Redis } from "ioredis";
import { z } from "zod";

// #region catalog
const events = defineEvents({
  CustomerRegistered: z.object({
    customerId: dataSubject(z.string()), // whose key: an opaque id, never the email
    email: personal(z.string().email()), // encrypted; reads back as string | Forgotten
    name: personal(z.string()),
  }),
  // No dataSubject() field: the subject comes from metadata.dataSubject.
  AddressChanged: z.object({ street: personal(z.string()), city: z.string() }),
  OrderPlaced: z.object({ customerId: z.string(), total: z.number() }), // nothing personal
});
// #endregion

export async function forget(redis: Redis) {
  // #region forget
  const store = getRedisEventStore({ redis, events });
  await store.append("customer-c-42", [
    {
      type: "CustomerRegistered",
      data: { customerId: "c-42", email: "ada@example.com", name: "Ada" },
    },
  ]);
  await store.append(
    "customer-c-42",
    [{ type: "AddressChanged", data: { street: "1 Main St", city: "London" } }],
    {
      metadata: { dataSubject: "c-42" },
    },
  );

  await store.forgetSubject("c-42", { by: "dpo@example.com", reason: "erasure request 118" });

  for await (const event of store.read("customer-c-42")) {
    if (event.type === "CustomerRegistered") {
      const email: string | Forgotten = event.data.email; // { forgotten: true } from now on
      console.log(isForgotten(email) ? "(forgotten)" : email, event.data.customerId); // customerId intact
    }
  }
  // #endregion
}

declare const kms: {
  encrypt(plaintext: Buffer): Promise<string>;
  decrypt(ciphertext: string): Promise<Buffer>;
};

export function withKms(redis: Redis) {
  // #region kms
  // Redis holds each subject's key wrapped by the KMS's master key: a dump of Redis, its AOF, RDB
  // files or replicas never holds a usable key. Every process needs the same hooks.
  const keyStore = createRedisKeyStore({
    redis,
    prefix: "shop",
    wrapKey: (key) => kms.encrypt(key),
    unwrapKey: (wrapped) => kms.decrypt(wrapped),
  });
  const store = getRedisEventStore({
    redis,
    events,
    prefix: "shop",
    personalData: { keyStore, keyCacheTtlMs: 10_000 },
  });
  // #endregion
  return store;
}

export async function readModel(redis: Redis) {
  // #region erase
  type Customer = { email: string | Forgotten | null; orders: number };
  const customers = defineProjection(events, {
    name: "customers",
    version: 1,
    source: ["customer"],
    key: (event) => event.streamName,
    initialState: (): Customer => ({ email: null, orders: 0 }),
    handlers: {
      CustomerRegistered: (draft, event) => {
        draft.email = event.data.email; // a replay after the forget copies { forgotten: true }
      },
      OrderPlaced: (draft) => {
        draft.orders++;
      },
    },
    // Which documents may hold a subject's personal data, and how to remove it.
    personalData: {
      keysOf: (subject) => [`customer-${subject}`],
      erase: (draft) => {
        draft.email = null;
      },
    },
  });
  // After store.forgetSubject("c-42"), and once the key cache TTL has passed:
  await eraseSubject(customers, {
    readModel: createRedisReadModelStore({ redis, prefix: "ss", name: "customers" }),
    subject: "c-42",
  });
  // #endregion
}
