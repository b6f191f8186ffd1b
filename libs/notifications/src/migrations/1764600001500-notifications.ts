import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The notifications context (schema `notifications`): the citizen
 * notification outbox. Each row is written in the transaction of the event
 * it reports; `txid` (that transaction's id) and `seq` order the live
 * stream: a reader takes only rows of transactions older than every one
 * still running (pg_snapshot_xmin), so a row committed late can never fall
 * behind a reader's position. `key` makes a write idempotent per user and
 * type (BILL_DUE once per bill).
 */
export class Notifications1764600001500 implements MigrationInterface {
  name = 'Notifications1764600001500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS notifications`);
    await q.query(`
      CREATE TABLE notifications.notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        user_id uuid NOT NULL REFERENCES identity.users (id),
        type text NOT NULL CHECK (type ~ '^[A-Z][A-Z0-9_]{0,63}$'),
        data jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
        key text CHECK (char_length(key) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz,
        UNIQUE (user_id, type, key)
      )`);
    // the list (newest first), the unread count, the live stream's position
    await q.query(`CREATE INDEX notifications_user_seq ON notifications.notifications (user_id, seq DESC)`);
    await q.query(`CREATE INDEX notifications_user_unread ON notifications.notifications (user_id) WHERE read_at IS NULL`);
    await q.query(`CREATE INDEX notifications_user_stream ON notifications.notifications (user_id, txid, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA notifications CASCADE`);
  }
}
