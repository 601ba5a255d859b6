/**
 * Contract suites for event stores (vitest), run against the fake and a real Redis.
 *
 * @module @streamstore/testing/contract
 */
export * from "@streamstore/testing/contract";
