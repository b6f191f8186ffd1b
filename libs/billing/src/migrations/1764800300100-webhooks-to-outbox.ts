import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Biller webhooks move onto the notifications outbox (issue 15): the
 * registered endpoints and the delivery log go to
 * notifications.webhook_endpoints and notifications.webhook_deliveries
 * (pending deliveries are taken up by its relay; each keeps its payment id
 * as its key, so it is never written twice). billing.webhook_deliveries
 * goes; billing.biller_webhooks stays only as a view of which billers have
 * an endpoint, for billing.pay_from_wallet()'s `has_webhook`, until that
 * function writes its event through notifications.enqueue_webhook itself.
 */
export class WebhooksToOutbox1764800300100 implements MigrationInterface {
  name = 'WebhooksToOutbox1764800300100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO notifications.webhook_endpoints (organization_id, url, secret, updated_at)
      SELECT biller_id, url, secret, updated_at FROM billing.biller_webhooks`);
    await q.query(`
      INSERT INTO notifications.webhook_deliveries
             (id, organization_id, event_type, key, payload, status, attempts, last_status_code, last_error, created_at, delivered_at)
      SELECT id, biller_id, event_type, payload #>> '{data,paymentId}', payload, status, attempts, last_status_code, last_error, created_at, delivered_at
        FROM billing.webhook_deliveries
      ON CONFLICT (organization_id, event_type, key) DO NOTHING`);
    await q.query(`DROP TABLE billing.webhook_deliveries, billing.biller_webhooks`);
    await q.query(`CREATE VIEW billing.biller_webhooks AS SELECT organization_id AS biller_id FROM notifications.webhook_endpoints`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW billing.biller_webhooks`);
    await q.query(`
      CREATE TABLE billing.biller_webhooks (
        biller_id uuid PRIMARY KEY REFERENCES identity.organizations (id),
        url text NOT NULL,
        secret text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE billing.webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        biller_id uuid NOT NULL REFERENCES identity.organizations (id),
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_biller ON billing.webhook_deliveries (biller_id, created_at DESC)`);
    await q.query(`INSERT INTO billing.biller_webhooks (biller_id, url, secret, updated_at) SELECT organization_id, url, secret, updated_at FROM notifications.webhook_endpoints`);
    await q.query(`
      INSERT INTO billing.webhook_deliveries (id, biller_id, event_type, payload, status, attempts, last_status_code, last_error, created_at, delivered_at)
      SELECT id, organization_id, event_type, payload, status, attempts, last_status_code, last_error, created_at, delivered_at FROM notifications.webhook_deliveries`);
  }
}
