import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Money } from '@app/common';
import type { Currency } from '@app/common';
import { sqlState, withRetry, withTransactionRetry } from '@app/database';
import { normaliseEntry } from './domain/entry.js';
import type { PostingInput } from './domain/entry.js';
import type { LedgerAccountEntity } from './entities/ledger-account.entity.js';
import { JournalRepository, type PostedManyRow, type PostedRow } from './journal.repository.js';
import { LedgerAccountsRepository } from './ledger-accounts.repository.js';
import type { AccountSpec, OwnerType } from './account-spec.js';
import { InsufficientFundsError, LedgerReferenceConflictError } from './ledger.errors.js';

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

function toAccount(r: LedgerAccountEntity): LedgerAccount {
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

export type { AccountSpec, OwnerType };

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
  constructor(
    private readonly dataSource: DataSource,
    // defaulted for the ledger's benchmark and tests, which build the service on their own DataSource
    private readonly accounts: LedgerAccountsRepository = new LedgerAccountsRepository(),
    private readonly journal: JournalRepository = new JournalRepository(),
  ) {}

  /** The account for this owner, purpose and currency, created on first need. */
  async account(spec: AccountSpec, manager: EntityManager = this.dataSource.manager): Promise<LedgerAccount> {
    const found = await this.accounts.byOwner(manager, spec.ownerType, spec.ownerId, spec.purpose, spec.currency);
    if (found) return toAccount(found);
    await this.accounts.insertIfAbsent(manager, spec);
    return toAccount((await this.accounts.byOwner(manager, spec.ownerType, spec.ownerId, spec.purpose, spec.currency))!);
  }

  async accountsOf(ownerType: OwnerType, ownerId: string, purpose: string): Promise<LedgerAccount[]> {
    return (await this.accounts.ofOwner(this.dataSource.manager, ownerType, ownerId, purpose)).map(toAccount);
  }

  /** Exact balance: the stored balance plus credits still queued for a hot account, read in one snapshot. */
  async balance(accountId: string, manager: EntityManager = this.dataSource.manager): Promise<Money> {
    const row = await this.accounts.exactBalance(manager, accountId);
    if (!row) throw new Error(`no ledger account ${accountId}`);
    return Money.of(row.balance, row.currency.trim() as Currency);
  }

  /** The id of the journal entry posted under this business reference, if any. */
  async entryId(reference: string, manager: EntityManager = this.dataSource.manager): Promise<string | undefined> {
    return this.journal.entryIdByReference(manager, reference);
  }

  /**
   * Posts one journal entry. Inside the caller's transaction when `manager`
   * is given (so that the business change and its money move commit
   * together), else in its own, retried on serialization failures and
   * deadlocks. Throws InsufficientFundsError (402) and rolls everything back
   * when an account that may not go negative would.
   */
  async post(entry: EntryInput, manager?: EntityManager, options: { useFloor?: boolean } = {}): Promise<PostedEntry> {
    const postings = normaliseEntry(entry.postings);
    const run = async (m: EntityManager) => {
      if (!options.useFloor) return this.postWith(m, entry, postings);
      // debits of this entry may take an account down to its floor (see the ledger-floor migration)
      await this.journal.useFloor(m, true);
      try {
        return await this.postWith(m, entry, postings);
      } finally {
        await this.journal.useFloor(m, false).catch(() => undefined);
      }
    };
    if (options.useFloor && !manager) throw new Error('a posting with useFloor runs inside the caller\'s transaction');
    // alone, the call is one atomic statement: no BEGIN/COMMIT round trips
    return manager ? run(manager) : withRetry(() => run(this.dataSource.manager));
  }

  /** One call of ledger_post() (see the ledger migration): the entry, its postings and their balance changes. */
  private async postWith(m: EntityManager, entry: EntryInput, postings: PostingInput[]): Promise<PostedEntry> {
    let rows: PostedRow[];
    try {
      rows = await this.journal.post(m, entry, postings);
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
   * rider's empty wallet must not fail the batch). Entries are decided in the
   * order given, each against the balances left by the entries before it;
   * the accounts are locked once, in id order (see the set-based
   * ledger_post_many migration). `useFloor` as for post().
   */
  async postMany(entries: readonly EntryInput[], manager: EntityManager, options: { useFloor?: boolean } = {}): Promise<PostManyResult[]> {
    if (entries.length === 0) return [];
    const normalised = entries.map((e) => normaliseEntry(e.postings));
    let rows: PostedManyRow[];
    try {
      // debits of these entries may take an account down to its floor (as post() with useFloor)
      if (options.useFloor) await this.journal.useFloor(manager, true);
      try {
        rows = await this.journal.postMany(manager, entries, normalised);
      } finally {
        if (options.useFloor) await this.journal.useFloor(manager, false).catch(() => undefined);
      }
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
    let folded = 0;
    for (const accountId of await this.accounts.withQueuedCredits(this.dataSource.manager)) {
      folded += await withTransactionRetry(this.dataSource, (m) => this.accounts.foldQueuedCredits(m, accountId));
    }
    return folded;
  }
}
