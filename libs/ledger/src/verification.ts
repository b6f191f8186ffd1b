import type { DataSource } from 'typeorm';
import { type LedgerReport, VerificationRepository } from './verification.repository.js';

export type { LedgerReport };

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
