import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `notifications.enqueue(user, type, key, data)`: notifications.notify()
 * without its pg_notify. A transaction that NOTIFYs takes PostgreSQL's one
 * notification-queue lock at commit and keeps it through its WAL flush, so
 * every such commit in the database runs one after another (no group
 * commit): at a canteen's noon, one NOTIFY per charge serialises all
 * charges. A context whose SQL function writes a notification per payment
 * calls this instead and wakes readers after its commit with
 * NotificationsService.announce(), which coalesces many users into one
 * NOTIFY. Returns false when (user, type, key) was already written.
 */
export class EnqueueFunction1764800500100 implements MigrationInterface {
  name = 'EnqueueFunction1764800500100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notifications.enqueue(p_user uuid, p_type text, p_key text, p_data jsonb)
      RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO notifications.notifications (user_id, type, data, key) VALUES (p_user, p_type, p_data, p_key)
        ON CONFLICT (user_id, type, key) DO NOTHING;
        RETURN FOUND;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION notifications.enqueue(uuid, text, text, jsonb)`);
  }
}
