/**
 * What the sibling packages and the tests of @streamstore/testing need and users should not call:
 * no stability promise. Import from "@streamstore/testing/internal".
 */
export { systemClock } from "./fake/index.js";
export { redisTimeMs, waitForRedisTime, waitForRedisTimePast } from "./redisServer/redisTime.js";
export { until } from "./until.js";
