import { isStreamstoreError, StreamstoreError } from "./StreamstoreError.js";

/**
 * A toolkit Redis Functions library is not loaded on the server and this connection's user may
 * not load it (`FUNCTION LOAD` refused, as it is for a user made with `aclRuleFor`). Nothing was
 * run. An operator loads it once per server (every primary of a Cluster), with
 * `streamstore functions install` or {@link installFunctionLibraries}.
 *
 * @example
 * catch (error) { if (isFunctionsNotLoadedError(error)) console.error(error.library); }
 */
export class FunctionsNotLoadedError extends StreamstoreError {
  constructor(
    /** The library's name, `streamstore_<package>_<version>`. */
    readonly library: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      "FUNCTIONS_NOT_LOADED",
      `[streamstore] the Redis Functions library "${library}" is not loaded on this Redis and this user may not load it (${reason}). Nothing was run. An operator loads it once per server (on every primary of a Cluster) as a user allowed FUNCTION LOAD: \`streamstore functions install --redis-url <admin url>\`, or installFunctionLibraries() from @streamstore/core. See "Redis Functions" in the @streamstore/core README.`,
      options,
    );
  }
}

/** @example if (isFunctionsNotLoadedError(error)) console.log(error.library); */
export const isFunctionsNotLoadedError = (error: unknown): error is FunctionsNotLoadedError =>
  isStreamstoreError(error, "FUNCTIONS_NOT_LOADED");
