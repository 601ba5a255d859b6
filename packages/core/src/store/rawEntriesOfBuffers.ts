import type { RawStreamEntry } from "./entryCodec.js";

/** The one-character strings of the ASCII bytes: the toolkit's field names are all one byte. */
const ASCII_CHARACTERS = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));

/** A stream entry as an ioredis `*Buffer` command replies it: `[id, [field, value, ...]]`. */
export type BufferStreamEntry = [id: Buffer, fields: Buffer[] | null];

/**
 * Stream entries read as Buffers (`XRANGE` through `xrangeBuffer`), as the strings ioredis would
 * have given (UTF-8, invalid sequences as U+FFFD). Cheaper than ioredis's own conversion on the
 * hot read path: a one-byte ASCII field name (every field the store writes) is taken from a table
 * instead of being decoded, and the reply's arrays are converted in place (no array per entry is
 * allocated: a catch-up keeps its pages alive across young-generation GCs, and V8 may then start
 * allocating such arrays in the old generation, where each one keeps its strings alive until a
 * full GC). The reply must be the caller's own; it is returned, retyped.
 *
 * @example
 * const page = rawEntriesOfBuffers(await redis.xrangeBuffer(log, "-", "+", "COUNT", 100));
 */
export function rawEntriesOfBuffers(reply: BufferStreamEntry[]): RawStreamEntry[] {
  for (let index = 0; index < reply.length; index++) {
    const entry = reply[index] as BufferStreamEntry;
    const buffers = entry[1];
    if (buffers !== null) {
      const fields = buffers as unknown as string[];
      for (let at = 0; at < buffers.length; at++) {
        const buffer = buffers[at] as Buffer;
        const code = buffer.length === 1 && at % 2 === 0 ? (buffer[0] as number) : 128;
        fields[at] = code < 128 ? (ASCII_CHARACTERS[code] as string) : buffer.toString();
      }
    }
    (entry as unknown as RawStreamEntry)[0] = entry[0].toString();
  }
  return reply as unknown as RawStreamEntry[];
}
