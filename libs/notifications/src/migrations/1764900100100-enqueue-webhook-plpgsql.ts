import type { MigrationInterface, QueryRunner } from 'typeorm';

const SQL_VERSION = `
      CREATE OR REPLACE FUNCTION notifications.enqueue_webhook(p_org uuid, p_type text, p_key text, p_data jsonb)
      RETURNS uuid LANGUAGE sql AS $$
        INSERT INTO notifications.webhook_deliveries (organization_id, event_type, key, payload)
        SELECT e.organization_id, p_type, p_key, jsonb_build_object('type', p_type, 'data', p_data)
          FROM notifications.webhook_endpoints e WHERE e.organization_id = p_org
        ON CONFLICT (organization_id, event_type, key) DO NOTHING
        RETURNING id
      $$`;

/**
 * notifications.enqueue_webhook() in PL/pgSQL, same arguments and answers
 * (the new delivery's id; NULL when the organisation has no endpoint or the
 * event was already written). A LANGUAGE sql function that cannot be
 * inlined (an INSERT) is parsed and planned again on every call; PL/pgSQL
 * keeps the plan for the session. billing.pay_from_wallet() calls it on
 * every wallet payment of a biller with a webhook. At most one endpoint per
 * organisation (its primary key), so at most one row is returned.
 */
export class EnqueueWebhookPlpgsql1764900100100 implements MigrationInterface {
  name = 'EnqueueWebhookPlpgsql1764900100100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION notifications.enqueue_webhook(p_org uuid, p_type text, p_key text, p_data jsonb)
      RETURNS uuid LANGUAGE plpgsql AS $$
      DECLARE
        v_id uuid;
      BEGIN
        INSERT INTO notifications.webhook_deliveries (organization_id, event_type, key, payload)
        SELECT e.organization_id, p_type, p_key, jsonb_build_object('type', p_type, 'data', p_data)
          FROM notifications.webhook_endpoints e WHERE e.organization_id = p_org
        ON CONFLICT (organization_id, event_type, key) DO NOTHING
        RETURNING id INTO v_id;
        RETURN v_id;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(SQL_VERSION);
  }
}
