import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LedgerAccountEntity } from './entities/ledger-account.entity.js';
import type { AccountSpec, OwnerType } from './account-spec.js';

/** Data access of ledger accounts and the credit queue of hot accounts (schema ledger). */
@Injectable()
export class LedgerAccountsRepository {
  byOwner(m: EntityManager, ownerType: OwnerType, ownerId: string, purpose: string, currency: string): Promise<LedgerAccountEntity | null> {
    return m.findOneBy(LedgerAccountEntity, { owner_type: ownerType, owner_id: ownerId, purpose, currency });
  }

  /** An owner's accounts of one purpose, by currency. */
  ofOwner(m: EntityManager, ownerType: OwnerType, ownerId: string, purpose: string): Promise<LedgerAccountEntity[]> {
    return m.find(LedgerAccountEntity, { where: { owner_type: ownerType, owner_id: ownerId, purpose }, order: { currency: 'ASC' } });
  }

  /** Opens the account unless it exists (concurrent openers: one insert wins, nobody fails). */
  async insertIfAbsent(m: EntityManager, spec: AccountSpec): Promise<void> {
    await m.query(
      `INSERT INTO ledger.ledger_accounts (owner_type, owner_id, purpose, currency, allow_negative, hot, floor)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (owner_type, owner_id, purpose, currency) DO NOTHING`,
      [spec.ownerType, spec.ownerId, spec.purpose, spec.currency, spec.allowNegative ?? false, spec.hot ?? false, (spec.floor ?? 0n).toString()],
    );
  }

  /** The stored balance plus credits still queued for a hot account, read in one snapshot; undefined for no account. */
  async exactBalance(m: EntityManager, accountId: string): Promise<{ currency: string; balance: bigint } | undefined> {
    const [row] = (await m.query(
      `SELECT a.currency, a.balance + COALESCE((SELECT sum(h.amount) FROM ledger.hot_account_credits h WHERE h.account_id = a.id), 0) AS balance
         FROM ledger.ledger_accounts a WHERE a.id = $1`,
      [accountId],
    )) as { currency: string; balance: string }[];
    return row && { currency: row.currency, balance: BigInt(row.balance) };
  }

  /** Hot accounts with credits queued. */
  async withQueuedCredits(m: EntityManager): Promise<string[]> {
    const rows = (await m.query(`SELECT DISTINCT account_id FROM ledger.hot_account_credits`)) as { account_id: string }[];
    return rows.map((r) => r.account_id);
  }

  /**
   * Folds the committed queued credits of one hot account into its stored
   * balance, under its row lock (NO KEY UPDATE: it conflicts with other
   * balance changes, not with the foreign-key share locks that concurrent
   * credits take, so they go on meanwhile); answers how many it folded.
   */
  async foldQueuedCredits(m: EntityManager, accountId: string): Promise<number> {
    await m.query(`SELECT 1 FROM ledger.ledger_accounts WHERE id = $1 FOR NO KEY UPDATE`, [accountId]);
    const [{ sum, n }] = (await m.query(
      `WITH gone AS (DELETE FROM ledger.hot_account_credits WHERE account_id = $1 RETURNING amount)
       SELECT COALESCE(sum(amount), 0)::text AS sum, count(*)::int AS n FROM gone`,
      [accountId],
    )) as { sum: string; n: number }[];
    if (n > 0) await m.query(`UPDATE ledger.ledger_accounts SET balance = balance + $2 WHERE id = $1`, [accountId, sum]);
    return n;
  }
}
