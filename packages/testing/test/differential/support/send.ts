import type { ChainableCommander, Redis } from "ioredis";

type CommandMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Calls the ioredis method `name` with loosely typed arguments, for command forms that ioredis's
 * overloads do not spell out (e.g. `XADD key NOMKSTREAM MINID ~ 5 LIMIT 10 * f v`). It goes through
 * the same method (and reply transformer) as a typed call would, unlike `client.call`.
 *
 * @example
 * await send(client, "xadd", key, "MAXLEN", "=", 3, "*", "f", "v");
 */
export function send(
  client: Redis,
  name: string,
  ...args: (string | number | Buffer)[]
): Promise<unknown> {
  const method = (client as unknown as Record<string, CommandMethod>)[name];
  if (typeof method !== "function") {
    return Promise.reject(new TypeError(`the client has no method ${name}`));
  }
  return method.apply(client, args);
}

/**
 * Queues the ioredis method `name` on a pipeline or a MULTI with loosely typed arguments.
 *
 * @example
 * queue(pipeline, "xadd", key, "*", "f", "v");
 */
export function queue(
  commander: ChainableCommander,
  name: string,
  ...args: (string | number | Buffer)[]
): ChainableCommander {
  const method = (commander as unknown as Record<string, (...a: unknown[]) => ChainableCommander>)[
    name
  ];
  if (typeof method !== "function") throw new TypeError(`the pipeline has no method ${name}`);
  return method.apply(commander, args);
}
