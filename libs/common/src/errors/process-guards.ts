import { isUnavailableError } from './unavailable.js';

/**
 * A promise rejected with nobody to handle it. Libraries sometimes fire and
 * forget a query (pg-boss completes jobs without awaiting the call): when
 * the database kills that connection, the rejection reaches the process.
 * A database that is unavailable for a moment is no reason to drop every
 * request in flight, so such a rejection is logged and the process goes on;
 * anything else is thrown again, which keeps Node's default (the process
 * stops: an unexpected error may have left state we cannot trust).
 */
export function onUnhandledRejection(reason: unknown, warn: (message: string) => void): void {
  if (isUnavailableError(reason)) {
    warn(`a background database call failed while the database was unavailable (${reason instanceof Error ? reason.message : String(reason)}); the work is retried by its owner`);
    return;
  }
  throw reason;
}
