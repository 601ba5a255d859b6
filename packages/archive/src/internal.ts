/**
 * What the sibling packages and the tests of @streamstore/archive need and users should not call:
 * no stability promise. Import from "@streamstore/archive/internal".
 */
export { maskConnectionString } from "./archiveTarget.js";
