import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PostingInput } from './domain/entry.js';

/** What ledger_post() answers: one row per posting of the entry. */
export interface PostedRow {
  entry_id: string;
  duplicate: boolean;
  posting_id: string;
  account_id: string;
  amount: string;
  balance_after: string | null;
}

/** What ledger_post_many() answers: one row per entry, in the order given. */
export interface PostedManyRow {
  idx: number;
  entry_id: string | null;
  duplicate: boolean;
  refused: string | null;
}

export interface JournalEntryInput {
  reference: string;
  kind: string;
  description?: string;
  metadata?: Record<string, unknown>;
  reverses?: string;
}

/** A wallet posting with its entry, newest first. */
export interface WalletHistoryRow {
  pid: string;
  id: string;
  kind: string;
  amount: string;
  currency: string;
  balance_after: string | null;
  description: string | null;
  created_at: Date;
}

/** Anything that runs SQL: an EntityManager, a DataSource, the replica reads. */
type Queryable = Pick<EntityManager, 'query'> | { query(sql: string, parameters?: unknown[]): Promise<unknown> };

/**
 * The journal: entries and postings (schema ledger), written only through
 * the SQL functions ledger_post() and ledger_post_many() of the ledger
 * migrations, which lock accounts in id order and make each debit a
 * conditional update. Errors come back as SQLSTATE LD402 (insufficient
 * funds) and LD409 (reference reused with other postings).
 */
@Injectable()
export class JournalRepository {
  /** One call of ledger_post(): the entry, its postings and their balance changes. */
  async post(m: EntityManager, entry: JournalEntryInput, postings: readonly PostingInput[]): Promise<PostedRow[]> {
    return (await m.query(
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
    )) as PostedRow[];
  }

  /** One call of ledger_post_many(): entries with their postings flattened in order. */
  async postMany(m: EntityManager, entries: readonly JournalEntryInput[], postings: readonly (readonly PostingInput[])[]): Promise<PostedManyRow[]> {
    const flat = postings.flat();
    return (await m.query(
      `SELECT idx, entry_id, duplicate, refused FROM ledger.ledger_post_many($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::uuid[], $7::text[], $8::bigint[]) ORDER BY idx`,
      [
        entries.map((e) => e.reference),
        entries.map((e) => e.kind),
        entries.map((e) => e.description ?? null),
        entries.map((e) => JSON.stringify(e.metadata ?? {})),
        postings.map((p) => p.length),
        flat.map((p) => p.accountId),
        flat.map((p) => p.currency),
        flat.map((p) => p.amount.toString()),
      ],
    )) as PostedManyRow[];
  }

  /** Lets the debits of the transaction's next postings go down to their account's floor (or stops it). */
  async useFloor(m: EntityManager, on: boolean): Promise<void> {
    await m.query(`SELECT set_config('ledger.use_floor', $1, true)`, [on ? 'on' : 'off']);
  }

  async entryIdByReference(m: EntityManager, reference: string): Promise<string | undefined> {
    const [row] = (await m.query(`SELECT id FROM ledger.journal_entries WHERE reference = $1`, [reference])) as { id: string }[];
    return row?.id;
  }

  /** A user's wallet postings with their entries, newest first, below the posting id `before`. */
  /** `db`: the primary's manager, or the replica reads (a history may lag). */
  async walletHistory(db: Queryable, userId: string, limit: number, before?: bigint): Promise<WalletHistoryRow[]> {
    return (await db.query(
      `SELECT p.id::text AS pid, e.id, e.kind, p.amount::text, p.currency, p.balance_after::text, e.description, p.created_at
         FROM ledger.ledger_accounts a
         JOIN ledger.postings p ON p.account_id = a.id
         JOIN ledger.journal_entries e ON e.id = p.entry_id
        WHERE a.owner_type = 'USER' AND a.owner_id = $1 AND a.purpose = 'WALLET'
          AND ($2::bigint IS NULL OR p.id < $2::bigint)
        ORDER BY p.id DESC
        LIMIT $3`,
      [userId, before?.toString() ?? null, limit],
    )) as WalletHistoryRow[];
  }
}
