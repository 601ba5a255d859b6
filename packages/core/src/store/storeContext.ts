import type { Cluster, Redis } from "ioredis";
import type { EventArchive } from "../archive/EventArchive.js";
import type { EventCatalog } from "../events/defineEvents.js";
import type { KeyLayout } from "../keys/keyLayout.js";
import type { KeyRing } from "../personalData/KeyRing.js";
import type { EncodeLimits } from "./encodeEvents.js";
import type { StreamLocator } from "./streamLocator.js";

/**
 * What the operations of a store from `getRedisEventStore` share: its client, catalog, keys and
 * checked options, made once by `getRedisEventStore`. Each operation (appendToStream,
 * readStream, streamVersion, snapshots...) is a function of it.
 */
export interface StoreContext<Catalog extends EventCatalog = EventCatalog> {
  redis: Redis | Cluster;
  catalog: Catalog;
  keys: KeyLayout;
  archive: EventArchive | undefined;
  /** The keys of personal data (written, read, forgotten). */
  keyRing: KeyRing;
  /** The key ring for reads: undefined when the catalog has no personal data (nothing to open). */
  readKeyRing: KeyRing | undefined;
  limits: EncodeLimits;
  /** Events fetched per round trip when reading, unless a read says otherwise. */
  readPageSize: number;
  locator: StreamLocator;
}
