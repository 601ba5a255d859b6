/**
 * What the sibling packages (@streamstore/testing) need from projections and users should
 * not call: no stability promise. Import from "@streamstore/projections/internal".
 */
export * from "./readModel/scriptTwins.js";
