import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Money } from '@app/common';
import type { Currency } from '@app/common';
import { sqlState, withRetry, withTransactionRetry } from '@app/database';
import { normaliseEntry } from './domain/entry.js';
import type { PostingInput } from './domain/entry.js';
import { InsufficientFundsError, LedgerReferenceConflictError } from './ledger.errors.js';

export type OwnerType = 'USER' | 'ORGANIZATION' | 'PLATFORM' | 'PROVIDER';

export interface AccountSpec {
  ownerType: OwnerType;
  ownerId: string;
  /** What the account holds, e.g. WALLET, RECEIVABLE, CLEARING, ADJUSTMENTS. */
  purpose: string;
  currency: Currency;
  /** Platform and provider accounts may; wallets, cards and receivables may not. */
  allowNegative?: boolean;
  /** Receives many concurrent credits: credits are queued instead of updating the row. */
  hot?: boolean;
  /** How far below zero a posting with `useFloor` may take it (campus cards: the offline limit); default 0. */
  floor?: bigint;
}

export interface LedgerAccount {
  id: string;
  ownerType: OwnerType;
  ownerId: string;
  purpose: string;
  currency: Currency;
  allowNegative: boolean;
  hot: boolean;
}

export interface EntryInput {
  /** Unique business reference: a second post with it changes nothing and returns the first. */
  reference: string;
  kind: string;
  description?: string;
  metadata?: Record<string, unknown>;
  reverses?: string;
  postings: PostingInput[];
}

export type PostManyResult = { reference: string; entryId: string; duplicate: boolean } | { reference: string; refused: 'INSUFFICIENT_FUNDS' };

export interface PostedEntry {
  entryId: string;
  reference: string;
  /** True when the reference had already been posted (nothing new happened). */
  duplicate: boolean;
  postings: { postingId: string; accountId: string; amount: bigint; balanceAfter: bigint | null }[];
}

interface AccountRow {
  id: string;
  owner_type: OwnerType;
  owner_id: string;
  purpose: string;
  currency: string;
  allow_negative: boolean;
  hot: boolean;
}

function toAccount(r: AccountRow): LedgerAccount {
  return {
    id: r.id,
    ownerType: r.owner_type,
    ownerId: r.owner_id,
    purpose: r.purpose,
    currency: r.currency.trim() as Currency,
    allowNegative: r.allow_negative,
    hot: r.hot,
  };
}

/**
 * The only writer of the ledger tables. `post()` is the one way money moves:
 * one balanced journal entry, atomically (inside the caller's transaction
 * when given one); accounts locked in id order; a debit of an account that
 * may not go negative is a conditional update, never read-then-write; hot
 * accounts take credits without a row lock. The SQL is the ledger_post()
 * function of the ledger migration.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly dataSource: DataSource) {}

  /** The account for this owner, purpose and currency, created on first need. */
  async account(spec: AccountSpec, manager: EntityManager = this.dataSource.manager): Promise<LedgerAccount> {
    const found = (await manager.query(
      `SELECT * FROM ledger.ledger_accounts WHERE owner_type = $1 AND owner_id = $2 AND purpose = $3 AND currency = $4`,
      [spec.ownerType, spec.ownerId, spec.purpose, spec.currency],
    )) as AccountRow[];
    if (found[0]) return toAccount(found[0]);
    await manager.query(
      `INSERT INTO ledger.ledger_accounts (owner_type, owner_id, purpose, currency, allow_negative, hot, floor)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (owner_type, owner_id, purpose, currency) DO NOTHING`,
      [spec.ownerType, spec.ownerId, spec.purpose, spec.currency, spec.allowNegative ?? false, spec.hot ?? false, (spec.floor ?? 0n).toString()],
    );
    const [row] = (await manager.query(
      `SELECT * FROM ledger.ledger_accounts WHERE owner_type = $1 AND owner_id = $2 AND purpose = $3 AND currency = $4`,
      [spec.ownerType, spec.ownerId, spec.purpose, spec.currency],
    )) as AccountRow[];
    return toAccount(row);
  }

  async accountsOf(ownerType: OwnerType, ownerId: string, purpose: string): Promise<LedgerAccount[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM ledger.ledger_accounts WHERE owner_type = $1 AND owner_id = $2 AND purpose = $3 ORDER BY currency`,
      [ownerType, ownerId, purpose],
    )) as AccountRow[];
    return rows.map(toAccount);
  }

  /** Exact balance: the stored balance plus credits still queued for a hot account, read in one snapshot. */
  async balance(accountId: string, manager: EntityManager = this.dataSource.manager): Promise<Money> {
    const [row] = (await manager.query(
      `SELECT a.currency, a.balance + COALESCE((SELECT sum(h.amount) FROM ledger.hot_account_credits h WHERE h.account_id = a.id), 0) AS balance
         FROM ledger.ledger_accounts a WHERE a.id = $1`,
      [accountId],
    )) as { currency: string; balance: string }[];
    if (!row) throw new Error(`no ledger account ${accountId}`);
    return Money.of(BigInt(row.balance), row.currency.trim() as Currency);
  }

  /**
   * Posts one journal entry. Inside the caller's transaction when `manager`
   * is given (so that the business change and its money move commit
   * together), else in its own, retried on serialization failures and
   * deadlocks. Throws InsufficientFundsError (402) and rolls everything back
   * when an account that may not go negative would.
   */
  /** The id of the journal entry posted under this business reference, if any. */
  async entryId(reference: string, manager: EntityManager = this.dataSource.manager): Promise<string | undefined> {
    const [row] = (await manager.query(`SELECT id FROM ledger.journal_entries WHERE reference = $1`, [reference])) as { id: string }[];
    return row?.id;
  }

  async post(entry: EntryInput, manager?: EntityManager, options: { useFloor?: boolean } = {}): Promise<PostedEntry> {
    const postings = normaliseEntry(entry.postings);
    const run = async (m: EntityManager) => {
      if (!options.useFloor) return this.postWith(m, entry, postings);
      // debits of this entry may take an account down to its floor (see the ledger-floor migration)
      await m.query(`SELECT set_config('ledger.use_floor', 'on', true)`);
      try {
        return await this.postWith(m, entry, postings);
      } finally {
        await m.query(`SELECT set_config('ledger.use_floor', 'off', true)`).catch(() => undefined);
      }
    };
    if (options.useFloor && !manager) throw new Error('a posting with useFloor runs inside the caller\'s transaction');
    // alone, the call is one atomic statement: no BEGIN/COMMIT round trips
    return manager ? run(manager) : withRetry(() => run(this.dataSource.manager));
  }

  /** One call of ledger_post() (see the ledger migration): the entry, its postings and their balance changes. */
  private async postWith(m: EntityManager, entry: EntryInput, postings: PostingInput[]): Promise<PostedEntry> {
    let rows: { entry_id: string; duplicate: boolean; posting_id: string; account_id: string; amount: string; balance_after: string | null }[];
    try {
      rows = (await m.query(
        `SELECT entry_id, duplicate, posting_id::text, account_id, amount::text, balance_after::text
           FROM ledger.ledger_post($1, $2, $3, $4, $5, $6::uuid[], $7::text[], $8::bigint[])`,
        [
          entry.reference,
          entry.kind,
          entry.description ?? null,
          JSON.stringify(entry.metadata ?? {}),
          entry.reverses ?? null,
          postings.map((p) => p.accountId),
          postings.map((p) => p.currency),
          postings.map((p) => p.amount.toString()),
        ],
      )) as typeof rows;
    } catch (err) {
      if (sqlState(err) === 'LD402') throw new InsufficientFundsError();
      if (sqlState(err) === 'LD409') throw new LedgerReferenceConflictError(entry.reference);
      throw err;
    }
    return {
      entryId: rows[0].entry_id,
      reference: entry.reference,
      duplicate: rows[0].duplicate,
      postings: rows.map((r) => ({
        postingId: r.posting_id,
        accountId: r.account_id,
        amount: BigInt(r.amount),
        balanceAfter: r.balance_after === null ? null : BigInt(r.balance_after),
      })),
    };
  }

  /**
   * Posts many journal entries in one statement, inside the caller's
   * transaction: each as post() would, except that an entry refused for
   * insufficient funds is rolled back alone and answered `{refused:
   * 'INSUFFICIENT_FUNDS'}` while the others stand (batches of bus taps: one
   * rider's empty wallet must not fail the batch). Callers order the entries
   * so that accounts are locked in one order across concurrent batches.
   */
  async postMany(entries: readonly EntryInput[], manager: EntityManager): Promise<PostManyResult[]> {
    if (entries.length === 0) return [];
    const normalised = entries.map((e) => normaliseEntry(e.postings));
    const flat = normalised.flat();
    let rows: { idx: number; entry_id: string | null; duplicate: boolean; refused: string | null }[];
    try {
      rows = (await manager.query(
        `SELECT idx, entry_id, duplicate, refused FROM ledger.ledger_post_many($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::uuid[], $7::text[], $8::bigint[]) ORDER BY idx`,
        [
          entries.map((e) => e.reference),
          entries.map((e) => e.kind),
          entries.map((e) => e.description ?? null),
          entries.map((e) => JSON.stringify(e.metadata ?? {})),
          normalised.map((p) => p.length),
          flat.map((p) => p.accountId),
          flat.map((p) => p.currency),
          flat.map((p) => p.amount.toString()),
        ],
      )) as typeof rows;
    } catch (err) {
      if (sqlState(err) === 'LD409') throw new LedgerReferenceConflictError('(one of a batch)');
      throw err;
    }
    return rows.map((r, i) =>
      r.refused ? { reference: entries[i].reference, refused: 'INSUFFICIENT_FUNDS' as const } : { reference: entries[i].reference, entryId: r.entry_id!, duplicate: r.duplicate },
    );
  }

  /**
   * Folds queued credits of hot accounts into their stored balance. Deletes
   * only committed queue rows (a credit still in flight stays for the next
   * run), under the account's row lock, so reads stay exact throughout.
   */
  async rollUpHotAccounts(): Promise<number> {
    const accounts = (await this.dataSource.query(`SELECT DISTINCT account_id FROM ledger.hot_account_credits`)) as { account_id: string }[];
    let folded = 0;
    for (const { account_id } of accounts) {
      folded += await withTransactionRetry(this.dataSource, async (m) => {
        // NO KEY UPDATE: conflicts with other balance changes, not with the foreign-key
        // share locks that concurrent credits take, so they go on during the roll-up
        await m.query(`SELECT 1 FROM ledger.ledger_accounts WHERE id = $1 FOR NO KEY UPDATE`, [account_id]);
        const [{ sum, n }] = (await m.query(
          `WITH gone AS (DELETE FROM ledger.hot_account_credits WHERE account_id = $1 RETURNING amount)
           SELECT COALESCE(sum(amount), 0)::text AS sum, count(*)::int AS n FROM gone`,
          [account_id],
        )) as { sum: string; n: number }[];
        if (n > 0) await m.query(`UPDATE ledger.ledger_accounts SET balance = balance + $2 WHERE id = $1`, [account_id, sum]);
        return n;
      });
    }
    return folded;
  }
}
