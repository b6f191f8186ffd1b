import type { DataSource } from 'typeorm';

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
  return dataSource.transaction('REPEATABLE READ', async (m) => {
    const currencyTotals = (await m.query(
      `SELECT currency, sum(amount)::text AS total FROM ledger.postings GROUP BY currency ORDER BY currency`,
    )) as { currency: string; total: string }[];
    const drift = (await m.query(
      `SELECT a.id AS "accountId", (a.balance + COALESCE(h.pending, 0))::text AS stored, COALESCE(p.total, 0)::text AS computed
         FROM ledger.ledger_accounts a
         LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger.postings GROUP BY account_id) p ON p.account_id = a.id
         LEFT JOIN (SELECT account_id, sum(amount) AS pending FROM ledger.hot_account_credits GROUP BY account_id) h ON h.account_id = a.id
        WHERE a.balance + COALESCE(h.pending, 0) <> COALESCE(p.total, 0)`,
    )) as LedgerReport['drift'];
    const negative = (await m.query(
      `SELECT a.id AS "accountId", (a.balance + COALESCE(h.pending, 0))::text AS balance
         FROM ledger.ledger_accounts a
         LEFT JOIN (SELECT account_id, sum(amount) AS pending FROM ledger.hot_account_credits GROUP BY account_id) h ON h.account_id = a.id
        WHERE NOT a.allow_negative AND a.balance + COALESCE(h.pending, 0) < -a.floor`,
    )) as LedgerReport['negative'];
    const unbalanced = (await m.query(
      `SELECT entry_id AS "entryId", currency, sum(amount)::text AS total FROM ledger.postings GROUP BY entry_id, currency HAVING sum(amount) <> 0`,
    )) as LedgerReport['unbalanced'];
    const [{ accounts, entries }] = (await m.query(
      `SELECT (SELECT count(*) FROM ledger.ledger_accounts)::int AS accounts, (SELECT count(*) FROM ledger.journal_entries)::int AS entries`,
    )) as { accounts: number; entries: number }[];
    for (const t of currencyTotals) t.currency = t.currency.trim();
    const ok = currencyTotals.every((t) => t.total === '0') && drift.length === 0 && negative.length === 0 && unbalanced.length === 0;
    return { ok, currencyTotals, drift, negative, unbalanced, accounts, entries };
  });
}
