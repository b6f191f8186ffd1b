import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affectedRows, returnedRows } from '@app/database';
import type { WebhookDeliveryEntity } from './entities/webhook-delivery.entity.js';

/** A delivery the relay claimed: what it POSTs, and where. */
export interface ClaimedDelivery {
  id: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  secret: string;
}

/** A delivery in an organisation's log, with its cursor position (created_at as PostgreSQL's text: microseconds kept). */
export type DeliveryLogRow = WebhookDeliveryEntity & { position_at: string };

/** Data access of webhook endpoints and the webhook outbox (notifications.webhook_endpoints, notifications.webhook_deliveries). */
@Injectable()
export class WebhooksRepository {
  /** Registers or replaces the organisation's endpoint (a new secret either way). */
  async upsertEndpoint(m: EntityManager, organizationId: string, url: string, secret: string): Promise<void> {
    await m.query(
      `INSERT INTO notifications.webhook_endpoints (organization_id, url, secret) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, updated_at = now()`,
      [organizationId, url, secret],
    );
  }

  /**
   * In the caller's transaction, through notifications.enqueue_webhook (the
   * SQL API other contexts' SQL functions call too): a delivery when the
   * organisation has an endpoint and (type, key) is new; its id, else null.
   */
  async enqueue(m: EntityManager, organizationId: string, type: string, key: string | null, data: Record<string, unknown>): Promise<string | null> {
    const [row] = (await m.query(`SELECT notifications.enqueue_webhook($1, $2, $3, $4) AS id`, [organizationId, type, key, JSON.stringify(data)])) as {
      id: string | null;
    }[];
    return row.id;
  }

  /**
   * Claims up to `limit` due deliveries for one attempt each: their next
   * attempt is pushed `leaseSeconds` ahead, so no other relay takes them
   * meanwhile (SKIP LOCKED: relays never wait on each other); one that dies
   * mid-attempt leaves its rows to be taken again when the lease ends.
   */
  async claimDue(m: EntityManager, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    return returnedRows<ClaimedDelivery>(
      await m.query(
      `WITH due AS (
         SELECT d.id, e.url, e.secret FROM notifications.webhook_deliveries d
           JOIN notifications.webhook_endpoints e ON e.organization_id = d.organization_id
          WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at, d.id
          LIMIT $1 FOR UPDATE OF d SKIP LOCKED)
       UPDATE notifications.webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $2)
         FROM due
        WHERE d.id = due.id
       RETURNING d.id, d.payload, d.attempts, due.url, due.secret`,
        [limit, leaseSeconds],
      ),
    );
  }

  /**
   * Records one attempt of a pending delivery: DELIVERED when acknowledged,
   * else the next try after 2^attempts seconds, or FAILED once `maxAttempts`
   * were made. False when it was no longer pending.
   */
  async recordAttempt(
    m: EntityManager,
    id: string,
    outcome: { ok: boolean; statusCode: number | null; error: string | null },
    maxAttempts: number,
  ): Promise<boolean> {
    return (
      affectedRows(
        await m.query(
          `UPDATE notifications.webhook_deliveries
              SET attempts = attempts + 1, last_status_code = $2, last_error = $3,
                  status = CASE WHEN $4 THEN 'DELIVERED' WHEN attempts + 1 >= $5 THEN 'FAILED' ELSE status END,
                  delivered_at = CASE WHEN $4 THEN now() ELSE delivered_at END,
                  next_attempt_at = now() + make_interval(secs => power(2, LEAST(attempts + 1, 20)))
            WHERE id = $1 AND status = 'PENDING'`,
          [id, outcome.statusCode, outcome.error, outcome.ok, maxAttempts],
        ),
      ) > 0
    );
  }

  /** Newest first: `limit + 1` deliveries of the organisation after the cursor's position. */
  async page(m: EntityManager, organizationId: string, limit: number, after?: { at: string; id: string }): Promise<DeliveryLogRow[]> {
    return (await m.query(
      `SELECT *, created_at::text AS position_at FROM notifications.webhook_deliveries
        WHERE organization_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [organizationId, after?.at ?? null, after?.id ?? null, limit + 1],
    )) as DeliveryLogRow[];
  }
}
