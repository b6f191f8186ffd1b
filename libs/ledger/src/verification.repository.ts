import type { EntityManager } from 'typeorm';

/** What `npm run ledger:verify` reports. */
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

/** The set-based checks of `verifyLedger`, over the whole ledger schema. */
export class VerificationRepository {
  async currencyTotals(m: EntityManager): Promise<LedgerReport['currencyTotals']> {
    const rows = (await m.query(
      `SELECT currency, sum(amount)::text AS total FROM ledger.postings GROUP BY currency ORDER BY currency`,
    )) as LedgerReport['currencyTotals'];
    return rows.map((t) => ({ currency: t.currency.trim(), total: t.total }));
  }

  /** Accounts whose stored balance (plus queued hot credits) is not the sum of their postings. */
  async drift(m: EntityManager): Promise<LedgerReport['drift']> {
    return (await m.query(
      `SELECT a.id AS "accountId", (a.balance + COALESCE(h.pending, 0))::text AS stored, COALESCE(p.total, 0)::text AS computed
         FROM ledger.ledger_accounts a
         LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger.postings GROUP BY account_id) p ON p.account_id = a.id
         LEFT JOIN (SELECT account_id, sum(amount) AS pending FROM ledger.hot_account_credits GROUP BY account_id) h ON h.account_id = a.id
        WHERE a.balance + COALESCE(h.pending, 0) <> COALESCE(p.total, 0)`,
    )) as LedgerReport['drift'];
  }

  /** Accounts that may not go negative (or below their floor) but are. */
  async negative(m: EntityManager): Promise<LedgerReport['negative']> {
    return (await m.query(
      `SELECT a.id AS "accountId", (a.balance + COALESCE(h.pending, 0))::text AS balance
         FROM ledger.ledger_accounts a
         LEFT JOIN (SELECT account_id, sum(amount) AS pending FROM ledger.hot_account_credits GROUP BY account_id) h ON h.account_id = a.id
        WHERE NOT a.allow_negative AND a.balance + COALESCE(h.pending, 0) < -a.floor`,
    )) as LedgerReport['negative'];
  }

  async unbalanced(m: EntityManager): Promise<LedgerReport['unbalanced']> {
    return (await m.query(
      `SELECT entry_id AS "entryId", currency, sum(amount)::text AS total FROM ledger.postings GROUP BY entry_id, currency HAVING sum(amount) <> 0`,
    )) as LedgerReport['unbalanced'];
  }

  async counts(m: EntityManager): Promise<{ accounts: number; entries: number }> {
    const [row] = (await m.query(
      `SELECT (SELECT count(*) FROM ledger.ledger_accounts)::int AS accounts, (SELECT count(*) FROM ledger.journal_entries)::int AS entries`,
    )) as { accounts: number; entries: number }[];
    return row;
  }
}
