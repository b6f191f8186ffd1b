import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `notifications.notify(user, type, key, data)`: one notification written
 * in the caller's transaction and announced to the live stream, as
 * NotificationsService.notify() does (false when (user, type, key) was
 * already written); notifications' SQL API for an event raised inside
 * another context's SQL function (billing's pay_from_wallet).
 */
export class NotifyFunction1764700100100 implements MigrationInterface {
  name = 'NotifyFunction1764700100100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notifications.notify(p_user uuid, p_type text, p_key text, p_data jsonb)
      RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO notifications.notifications (user_id, type, data, key) VALUES (p_user, p_type, p_data, p_key)
        ON CONFLICT (user_id, type, key) DO NOTHING;
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        PERFORM pg_notify('citypay_notifications', p_user::text);
        RETURN true;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION notifications.notify(uuid, text, text, jsonb)`);
  }
}
