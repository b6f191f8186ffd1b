import type { DataSource } from 'typeorm';
import { VerificationRepository } from './verification.repository.js';

export interface LedgerReport {
  ok: boolean;
  /** Sum of all postings per currency: must be zero. */
  currencyTotals: { currency: string; total: string }[];
  /** Accounts whose stored balance (plus queued hot credits) differs from the sum of their postings. */
  drift: { accountId: string; stored: string; computed: string }[];
  /** Accounts that may not go negative (or below their floor) but are. */
  negative: { accountId: string; balance: string }[];
  /** Journal entries whose postings do not sum to zero in some currency. */
  unbalanced: { entryId: string; currency: string; total: string }[];
  accounts: number;
  entries: number;
}

/**
 * Recomputes every balance from its postings and checks the invariants of
 * "Money never lies", in one consistent snapshot.
 */
export async function verifyLedger(dataSource: DataSource): Promise<LedgerReport> {
  const checks = new VerificationRepository();
  return dataSource.transaction('REPEATABLE READ', async (m) => {
    const currencyTotals = await checks.currencyTotals(m);
    const drift = await checks.drift(m);
    const negative = await checks.negative(m);
    const unbalanced = await checks.unbalanced(m);
    const { accounts, entries } = await checks.counts(m);
    const ok = currencyTotals.every((t) => t.total === '0') && drift.length === 0 && negative.length === 0 && unbalanced.length === 0;
    return { ok, currencyTotals, drift, negative, unbalanced, accounts, entries };
  });
}
