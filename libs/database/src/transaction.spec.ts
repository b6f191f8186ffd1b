import { describe, expect, it } from '@jest/globals';
import { DataSource, QueryFailedError } from 'typeorm';
import { BatchItemError } from '@app/common';
import { isRetryableTransactionError, sqlState, withTransactionRetry } from './transaction.js';

function pgError(code: string): QueryFailedError {
  return new QueryFailedError('UPDATE x', [], Object.assign(new Error('pg'), { code }));
}

function fakeDataSource(outcomes: (Error | 'ok')[]): { ds: DataSource; calls: () => number } {
  let calls = 0;
  const ds = {
    transaction: async (...args: unknown[]) => {
      const work = args[args.length - 1] as (m: unknown) => Promise<unknown>;
      const outcome = outcomes[calls++];
      if (outcome !== 'ok') throw outcome;
      return work({});
    },
  } as unknown as DataSource;
  return { ds, calls: () => calls };
}

describe('withTransactionRetry', () => {
  it('retries serialization failures and deadlocks, then succeeds', async () => {
    const { ds, calls } = fakeDataSource([pgError('40001'), pgError('40P01'), 'ok']);
    await expect(withTransactionRetry(ds, async () => 'done', { baseDelayMs: 1 })).resolves.toBe('done');
    expect(calls()).toBe(3);
  });

  it('does not retry other errors', async () => {
    const { ds, calls } = fakeDataSource([pgError('23505'), 'ok']);
    await expect(withTransactionRetry(ds, async () => 'done')).rejects.toBeInstanceOf(QueryFailedError);
    expect(calls()).toBe(1);
  });

  it('gives up after the attempts allowed', async () => {
    const { ds, calls } = fakeDataSource([pgError('40001'), pgError('40001'), pgError('40001')]);
    await expect(withTransactionRetry(ds, async () => 'x', { attempts: 3, baseDelayMs: 1 })).rejects.toBeInstanceOf(
      QueryFailedError,
    );
    expect(calls()).toBe(3);
  });

  it('recognises raw pg errors too', () => {
    expect(isRetryableTransactionError(Object.assign(new Error('x'), { code: '40001' }))).toBe(true);
    expect(isRetryableTransactionError(new Error('x'))).toBe(false);
  });

  it('reads an item refused inside a group commit as the driver error it was', () => {
    expect(sqlState(new BatchItemError('LD402', 'INSUFFICIENT_FUNDS'))).toBe('LD402');
    expect(isRetryableTransactionError(new BatchItemError('40P01', 'deadlock detected'))).toBe(true);
    expect(isRetryableTransactionError(new BatchItemError('CP422', 'CARD_FROZEN'))).toBe(false);
  });
});
