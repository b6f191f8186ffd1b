import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { affectedRows } from '@app/database';
import type { NotificationInput, NotificationType } from './domain/notification-types.js';

/** The PostgreSQL channel the outbox wakes readers on; the payload is a user id, or several joined by commas. */
export const NOTIFY_CHANNEL = 'citypay_notifications';
/** User ids (36 characters and a comma each) per NOTIFY payload: PostgreSQL takes payloads up to 8000 bytes. */
const USERS_PER_PAYLOAD = 200;

export interface NotificationRow {
  id: string;
  seq: string;
  txid: string;
  user_id: string;
  type: NotificationType;
  data: Record<string, unknown>;
  created_at: Date;
  read_at: Date | null;
}

/**
 * A position in one user's live stream: after (txid, seq) in that order,
 * plus the transactions that were still running below it when it was taken
 * (their rows, committed later, are still to come).
 */
export interface StreamPosition {
  txid: string;
  seq: string;
  pending: string[];
}

/**
 * The outbox table (notifications.notifications): SQL and row shapes only.
 * The stream reads in (txid, seq) order and remembers which transactions
 * were still running below its position, so that a transaction that
 * commits late is never skipped (see `after`).
 */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes the rows in the caller's transaction (one statement for any
   * number), skipping a (user, type, key) already written, and queues one
   * NOTIFY per user: PostgreSQL delivers it at commit, never on rollback.
   */
  async insert(m: EntityManager, rows: readonly NotificationInput[]): Promise<{ id: string; user_id: string }[]> {
    const written = (await m.query(
      `INSERT INTO notifications.notifications (user_id, type, data, key)
       SELECT r.user_id, r.type, r.data, r.key
         FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[]) WITH ORDINALITY AS r(user_id, type, data, key, n)
        ORDER BY r.n
       ON CONFLICT (user_id, type, key) DO NOTHING
       RETURNING id, user_id`,
      [rows.map((r) => r.userId), rows.map((r) => r.type), rows.map((r) => JSON.stringify(r.data)), rows.map((r) => r.key ?? null)],
    )) as { id: string; user_id: string }[];
    const users = [...new Set(written.map((w) => w.user_id))];
    if (users.length > 0) await m.query(`SELECT pg_notify('${NOTIFY_CHANNEL}', u::text) FROM unnest($1::uuid[]) AS u`, [users]);
    return written;
  }

  /**
   * Wakes the readers of these users in every process: one statement, one
   * NOTIFY per USERS_PER_PAYLOAD users. Outside any transaction (after the
   * commits that wrote their rows), or in `m`'s transaction, sent at its commit.
   */
  async wake(userIds: readonly string[], m?: EntityManager): Promise<void> {
    const payloads: string[] = [];
    for (let i = 0; i < userIds.length; i += USERS_PER_PAYLOAD) payloads.push(userIds.slice(i, i + USERS_PER_PAYLOAD).join(','));
    if (payloads.length > 0) await (m ?? this.dataSource).query(`SELECT pg_notify('${NOTIFY_CHANNEL}', p) FROM unnest($1::text[]) AS p`, [payloads]);
  }

  /**
   * Newest first: `limit + 1` rows before `beforeSeq` (the cursor). ORDER BY
   * names the table's column: a bare `seq` would be the output column
   * `seq::text` (text order: '9' after '10'), sorted row by row instead of
   * read in notifications_user_seq's order.
   */
  async page(userId: string, limit: number, beforeSeq: bigint | undefined, unreadOnly: boolean): Promise<NotificationRow[]> {
    return (await this.dataSource.query(
      `SELECT id, seq::text, txid::text, user_id, type, data, created_at, read_at FROM notifications.notifications
        WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND (NOT $3 OR read_at IS NULL)
        ORDER BY notifications.seq DESC LIMIT $4`,
      [userId, beforeSeq?.toString() ?? null, unreadOnly, limit + 1],
    )) as NotificationRow[];
  }

  async unreadCount(userId: string): Promise<number> {
    const [row] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM notifications.notifications WHERE user_id = $1 AND read_at IS NULL`, [userId])) as {
      n: number;
    }[];
    return row.n;
  }

  /** Marks the user's notification read (kept the first time); false when the user has no such notification. */
  async markRead(userId: string, id: string): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE notifications.notifications SET read_at = COALESCE(read_at, now()) WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return affectedRows(result) > 0;
  }

  async markAllRead(userId: string): Promise<number> {
    const result: unknown = await this.dataSource.query(`UPDATE notifications.notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL`, [userId]);
    return affectedRows(result);
  }

  /**
   * Where a new stream starts. Without Last-Event-ID: after everything
   * committed now, with every transaction still running pending (what they
   * write is news). From one of the user's notifications: after it, with the
   * transactions older than it that are still running pending.
   */
  async startPosition(userId: string, lastEventId: string | undefined): Promise<StreamPosition> {
    const [row] = (await this.dataSource.query(
      `WITH s AS MATERIALIZED (SELECT pg_current_snapshot() AS snap),
            r AS (SELECT txid, seq FROM notifications.notifications WHERE id = $2::uuid AND user_id = $1)
       SELECT COALESCE((SELECT txid FROM r), pg_snapshot_xmax(s.snap))::text AS txid,
              COALESCE((SELECT seq FROM r), 0)::text AS seq,
              ARRAY(SELECT x::text FROM pg_snapshot_xip(s.snap) AS x
                     WHERE x < COALESCE((SELECT txid FROM r), pg_snapshot_xmax(s.snap))) AS pending
         FROM s`,
      [userId, lastEventId ?? null],
    )) as { txid: string; seq: string; pending: string[] }[];
    return row;
  }

  /**
   * The user's rows the stream has not had, in (txid, seq) order: rows of
   * its pending transactions (running at its last read, older than its
   * position: committed since) and up to `limit` rows after its position.
   * All read in one snapshot, which also gives the next position's pending
   * set: the transactions still running below it. So a transaction that
   * commits late is neither missed nor waited for, whatever else runs.
   * The LIMIT takes the first rows in (txid, seq) order of the columns, not
   * of their ::text output columns (which would take '10' before '9' and
   * move the position past rows not yet sent).
   */
  async after(userId: string, from: StreamPosition, limit: number): Promise<{ rows: NotificationRow[]; next: StreamPosition }> {
    const result = (await this.dataSource.query(
      `WITH s AS MATERIALIZED (SELECT pg_current_snapshot() AS snap)
       SELECT ARRAY(SELECT x::text FROM s, pg_snapshot_xip(s.snap) AS x) AS xip, r.*
         FROM (SELECT 1) AS one
         LEFT JOIN (
           (SELECT id, seq::text, txid::text, txid AS tx, seq AS sq, user_id, type, data, created_at, read_at FROM notifications.notifications
             WHERE user_id = $1 AND txid = ANY($4::xid8[]))
           UNION ALL
           (SELECT id, seq::text, txid::text, txid AS tx, seq AS sq, user_id, type, data, created_at, read_at FROM notifications.notifications
             WHERE user_id = $1 AND (txid, seq) > ($2::xid8, $3::bigint)
             ORDER BY notifications.txid, notifications.seq LIMIT $5)
         ) AS r ON true
        ORDER BY r.tx, r.sq`,
      [userId, from.txid, from.seq, from.pending, limit],
    )) as (NotificationRow & { xip: string[]; tx: unknown; sq: unknown })[];
    const xip = result[0]?.xip ?? [];
    const rows = result.filter((r) => r.id !== null).map(({ xip: _x, tx: _t, sq: _s, ...row }) => row as NotificationRow);
    let txid = from.txid;
    let seq = from.seq;
    for (const r of rows) {
      if (BigInt(r.txid) > BigInt(txid) || (r.txid === txid && BigInt(r.seq) > BigInt(seq))) {
        txid = r.txid;
        seq = r.seq;
      }
    }
    return { rows, next: { txid, seq, pending: xip.filter((x) => BigInt(x) < BigInt(txid)) } };
  }
}
