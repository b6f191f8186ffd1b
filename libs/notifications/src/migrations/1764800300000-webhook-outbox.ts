import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed outgoing webhooks move into the notifications outbox (issue 15:
 * "Biller webhooks move onto the same outbox"). An organisation registers
 * one endpoint (url, signing secret); each event addressed to it is a
 * delivery row written in the transaction of the event (so a rolled-back
 * payment writes none), and a relay in the job-running processes claims due
 * rows (FOR UPDATE SKIP LOCKED, with a lease) and POSTs them, retried with
 * backoff. `key` makes an event idempotent per organisation and type.
 *
 * `notifications.enqueue_webhook(org, type, key, data)` is the SQL API
 * (for events raised inside another context's SQL function, as
 * `notifications.notify` is for citizen notifications): a delivery when the
 * organisation has an endpoint and (type, key) is new, else nothing;
 * answers the delivery's id. The body POSTed is `{id, type, data}`.
 */
export class WebhookOutbox1764800300000 implements MigrationInterface {
  name = 'WebhookOutbox1764800300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notifications.webhook_endpoints (
        organization_id uuid PRIMARY KEY REFERENCES identity.organizations (id),
        url text NOT NULL,
        secret text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE notifications.webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES identity.organizations (id),
        event_type text NOT NULL CHECK (char_length(event_type) BETWEEN 1 AND 100),
        key text CHECK (char_length(key) BETWEEN 1 AND 200),
        payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (organization_id, event_type, key)
      )`);
    // the organisation's delivery log (newest first, cursor on (created_at, id)); the relay's due rows
    await q.query(`CREATE INDEX webhook_deliveries_org ON notifications.webhook_deliveries (organization_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_due ON notifications.webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'`);
    await q.query(`
      CREATE FUNCTION notifications.enqueue_webhook(p_org uuid, p_type text, p_key text, p_data jsonb)
      RETURNS uuid LANGUAGE sql AS $$
        INSERT INTO notifications.webhook_deliveries (organization_id, event_type, key, payload)
        SELECT e.organization_id, p_type, p_key, jsonb_build_object('type', p_type, 'data', p_data)
          FROM notifications.webhook_endpoints e WHERE e.organization_id = p_org
        ON CONFLICT (organization_id, event_type, key) DO NOTHING
        RETURNING id
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION notifications.enqueue_webhook(uuid, text, text, jsonb)`);
    await q.query(`DROP TABLE notifications.webhook_deliveries, notifications.webhook_endpoints`);
  }
}
