/**
 * Byte strings: how the fake holds Redis strings, which are binary-safe byte sequences.
 *
 * A byte string is a JS string with one char per byte (char codes 0-255, the `latin1` encoding of
 * Node's `Buffer`). Keys, field names, values, command arguments and replies all travel through the
 * fake in this form, so `.length` is the byte length (STRLEN), comparisons are byte-wise (memcmp)
 * and any byte sequence survives, UTF-8 or not. The edges convert: ioredis string arguments are
 * UTF-8 encoded (what ioredis writes on a socket), Buffer arguments are taken byte for byte, plain
 * replies are UTF-8 decoded (what ioredis does, invalid sequences becoming U+FFFD) and `*Buffer`
 * replies get the bytes. ASCII text, the common case, is the same in both forms and is passed
 * through without copying.
 *
 * @example
 * ```ts
 * utf8ToByteString("é"); // "\u00c3\u00a9"
 * byteStringToUtf8("\u00c3\u00a9"); // "é"
 * ```
 */
export type ByteString = string;

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Whether a string has only ASCII chars (then it is its own byte string and its own UTF-8 text).
 *
 * @example
 * ```ts
 * isAscii("abc"); // true
 * ```
 */
export function isAscii(text: string): boolean {
  return !NON_ASCII.test(text);
}

/**
 * The UTF-8 bytes of a JS string, as a byte string (what ioredis sends for a string argument).
 *
 * @example
 * ```ts
 * utf8ToByteString("€"); // "\u00e2\u0082\u00ac"
 * ```
 */
export function utf8ToByteString(text: string): ByteString {
  return isAscii(text) ? text : Buffer.from(text, "utf8").toString("latin1");
}

/**
 * Decodes a byte string as UTF-8, the way ioredis turns a reply into a JS string.
 *
 * @example
 * ```ts
 * byteStringToUtf8("\u00ff"); // "\ufffd"
 * ```
 */
export function byteStringToUtf8(bytes: ByteString): string {
  return isAscii(bytes) ? bytes : Buffer.from(bytes, "latin1").toString("utf8");
}

/**
 * The bytes of a byte string as a Buffer (the reply of a `*Buffer` command).
 *
 * @example
 * ```ts
 * byteStringToBuffer("\u0000\u00ff"); // <Buffer 00 ff>
 * ```
 */
export function byteStringToBuffer(bytes: ByteString): Buffer {
  return Buffer.from(bytes, "latin1");
}

/**
 * A byte array as a byte string.
 *
 * @example
 * ```ts
 * bytesToByteString(Buffer.from([0, 255])); // "\u0000\u00ff"
 * ```
 */
export function bytesToByteString(bytes: Uint8Array): ByteString {
  if (bytes.length <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

/**
 * A byte string as a byte array (what the Lua VM stores). Chars above 255 never occur in byte
 * strings; should one slip in, its UTF-8 bytes are used rather than truncating it.
 *
 * @example
 * ```ts
 * byteStringToBytes("\u00ff"); // Uint8Array [255]
 * ```
 */
export function byteStringToBytes(bytes: ByteString): Uint8Array {
  const length = bytes.length;
  const out = new Uint8Array(length);
  for (let index = 0; index < length; index++) {
    const code = bytes.charCodeAt(index);
    if (code > 255) return Buffer.from(utf8ToByteString(bytes), "latin1");
    out[index] = code;
  }
  return out;
}
