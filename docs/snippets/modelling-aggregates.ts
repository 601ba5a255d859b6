// docs/modelling-aggregates.md
import {
  aggregateStream,
  type EventStore,
  handleCommand,
  isConcurrencyError,
  isIdempotencyConflictError,
  isInvalidEventError,
  isStreamstoreError,
} from "@streamstore/core";
import { account, type events, InsufficientFunds } from "./bank.js";

export async function examples(store: EventStore<typeof events>): Promise<void> {
  // #region handle
  const result = await handleCommand(
    store,
    "account-42",
    account,
    { type: "Deposit", amount: 25 },
    { maxRetries: 10, metadata: { correlationId: "req-7f3a" } },
  );
  console.log(result.retries, result.nextExpectedVersion, result.newEvents[0]?.id);
  // #endregion

  // #region load
  const { state, version, fromSnapshot } = await aggregateStream(store, "account-42", account);
  // #endregion
  console.log(state, version, fromSnapshot);

  // #region idempotent
  const deposit = {
    id: "payment-9c1e",
    type: "Deposited",
    data: { amount: 5, currency: "EUR" },
  } as const;
  const first = await store.append("account-42", [deposit]);
  const retry = await store.append("account-42", [deposit]); // e.g. after a timeout
  console.log(first.nextExpectedVersion === retry.nextExpectedVersion, retry.duplicate); // true true
  // #endregion

  // #region errors
  try {
    await store.append("account-42", [{ type: "Withdrawn", data: { amount: 1 } }], {
      expectedVersion: 3,
    });
  } catch (error) {
    if (isConcurrencyError(error)) {
      console.log(`stream is at ${error.actualVersion}, not 3`); // retry from there
    } else if (isInvalidEventError(error) || isIdempotencyConflictError(error)) {
      console.log(error.code, error.message); // a bug in the caller: nothing was written
    } else if (error instanceof InsufficientFunds) {
      // domain errors thrown by decide reach the caller of handleCommand unchanged
    } else if (isStreamstoreError(error)) {
      console.log(error.code);
    } else {
      throw error; // connection errors: safe to retry with the same event ids
    }
  }
  // #endregion
}
