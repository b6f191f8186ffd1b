import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { affectedRows } from '@app/database';
import type { NotificationInput, NotificationType } from './domain/notification-types.js';

/** The PostgreSQL channel the outbox wakes readers on; the payload is the user id. */
export const NOTIFY_CHANNEL = 'citypay_notifications';

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

/** A position in one user's live stream: after (txid, seq). */
export interface StreamPosition {
  txid: string;
  seq: string;
}

/**
 * The outbox table (notifications.notifications): SQL and row shapes only.
 * The stream reads in (txid, seq) order and only rows of transactions older
 * than the oldest one still running, so that a transaction that commits
 * late never lands behind a reader's position.
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

  /** Newest first: `limit + 1` rows before `beforeSeq` (the cursor). */
  async page(userId: string, limit: number, beforeSeq: bigint | undefined, unreadOnly: boolean): Promise<NotificationRow[]> {
    return (await this.dataSource.query(
      `SELECT id, seq::text, txid::text, user_id, type, data, created_at, read_at FROM notifications.notifications
        WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND (NOT $3 OR read_at IS NULL)
        ORDER BY seq DESC LIMIT $4`,
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

  /** The stream position of one of the user's notifications (Last-Event-ID). */
  async positionOf(userId: string, id: string): Promise<StreamPosition | undefined> {
    const [row] = (await this.dataSource.query(`SELECT txid::text, seq::text FROM notifications.notifications WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ])) as StreamPosition[];
    return row;
  }

  /**
   * The position of "now" for a new stream without Last-Event-ID: before
   * every transaction still running (anything they write comes after it),
   * with the ids of this user's rows already committed past it (not news).
   */
  async livePosition(userId: string): Promise<{ position: StreamPosition; seen: string[] }> {
    const rows = (await this.dataSource.query(
      `WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
       SELECT s.xmin::text AS xmin, n.id FROM s LEFT JOIN notifications.notifications n ON n.user_id = $1 AND n.txid >= s.xmin`,
      [userId],
    )) as { xmin: string; id: string | null }[];
    return { position: { txid: rows[0].xmin, seq: '0' }, seen: rows.flatMap((r) => (r.id ? [r.id] : [])) };
  }

  /**
   * The user's rows after `position` in stream order, up to `limit`, of
   * transactions that every later reader will see in the same order
   * (txid below the oldest running one). `held`: a row past them exists but
   * its transaction is not yet older than all running ones (read again soon).
   */
  async after(userId: string, position: StreamPosition, limit: number): Promise<{ rows: NotificationRow[]; held: boolean }> {
    const rows = (await this.dataSource.query(
      `SELECT id, seq::text, txid::text, user_id, type, data, created_at, read_at,
              txid < pg_snapshot_xmin(pg_current_snapshot()) AS safe
         FROM notifications.notifications
        WHERE user_id = $1 AND (txid, seq) > ($2::xid8, $3::bigint)
        ORDER BY txid, seq LIMIT $4`,
      [userId, position.txid, position.seq, limit],
    )) as (NotificationRow & { safe: boolean })[];
    const safe = rows.filter((r) => r.safe);
    return { rows: safe, held: safe.length < rows.length };
  }
}
