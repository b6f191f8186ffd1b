import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel.js';

/** SQLSTATEs worth retrying: serialization_failure and deadlock_detected. */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export function sqlState(err: unknown): string | undefined {
  if (err instanceof QueryFailedError) {
    const code = (err.driverError as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isRetryableTransactionError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && RETRYABLE_SQLSTATES.has(state);
}

export interface RetryOptions {
  isolation?: IsolationLevel;
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Base delay of the jittered exponential backoff, ms. */
  baseDelayMs?: number;
}

/**
 * Runs `work` in one transaction and runs it again, from the start, when
 * PostgreSQL aborts it for a serialization failure or a deadlock. The one
 * place where such retries happen; `work` must be free of side effects
 * outside the transaction.
 */
export function withTransactionRetry<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { isolation, ...retry } = options;
  return withRetry(() => (isolation ? dataSource.transaction(isolation, work) : dataSource.transaction(work)), retry);
}

/**
 * Runs one self-contained statement (or call) again when PostgreSQL aborts it
 * for a serialization failure or a deadlock: for work that is atomic on its
 * own, such as a single statement, without the round trips of BEGIN/COMMIT.
 */
export async function withRetry<T>(work: () => Promise<T>, options: Omit<RetryOptions, 'isolation'> = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  const base = options.baseDelayMs ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      const delay = base * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay));
    }
  }
}

/** True for a PostgreSQL unique violation (optionally on one constraint or index). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== '23505') return false;
  if (constraint === undefined) return true;
  const pg = (err as { driverError?: { constraint?: string }; constraint?: string }).driverError ?? (err as { constraint?: string });
  return pg.constraint === constraint;
}

// the one helper for what an UPDATE/DELETE answered, shared with common (which imports nothing of ours)
export { affectedRows, returnedRows } from '@app/common';
