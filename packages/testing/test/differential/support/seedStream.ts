import type { Redis } from "ioredis";

/**
 * Adds the entries `1-0 … <count>-0` to `key`, each with the one field `n` = its number, in one
 * pipeline: the stream most differential cases start from.
 *
 * @example
 * await seedStream(client, ctx.key("s"), 4);
 */
export async function seedStream(client: Redis, key: string, count: number): Promise<void> {
  const pipeline = client.pipeline();
  for (let index = 1; index <= count; index++) pipeline.xadd(key, `${index}-0`, "n", `${index}`);
  await pipeline.exec();
}
