import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { postPinned, resolveTarget, systemResolver, toPage, ValidationFailedError } from '@app/common';
import type { Page, ResolvedAddress, Resolver } from '@app/common';
import { AppConfig } from '@app/config';
import { BillingConfig } from './billing.config.js';
import { JobsService } from '@app/jobs';
import type { BillRowDb } from './bills.service.js';

export const WEBHOOK_JOB = 'billing.webhook';
export const WEBHOOK_RETRIES = 16;

export interface DeliveryView {
  id: string;
  eventType: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  payload: unknown;
  createdAt: string;
  deliveredAt: string | null;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe signs its webhooks. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Biller webhooks: each successful payment becomes a delivery row and a
 * pg-boss job in the payment's own transaction (outbox); the job POSTs the
 * event signed with the biller's secret and is retried with backoff until
 * the biller answers 2xx. Every attempt is logged for the biller to read.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger('BillerWebhooks');
  /** How target host names are resolved (replaced in tests to play DNS). */
  resolver: Resolver = systemResolver;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobsService,
    @Inject(BillingConfig) private readonly config: BillingConfig,
    @Inject(AppConfig) private readonly app: AppConfig,
  ) {}

  /**
   * Why the platform will not post to this URL: not http(s) (https only in
   * production), credentials in it, or a host that is, or resolves to any,
   * address that is not public unicast (ipaddr.js; IPv4 embedded in IPv6
   * included), unless WEBHOOK_ALLOW_PRIVATE_NETWORKS. Checked when
   * registered and again before every delivery (DNS may change); the
   * delivery then connects to the address checked.
   */
  private async target(url: URL): Promise<{ problem?: string; address?: ResolvedAddress }> {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: 'url must be an absolute http(s) URL' };
    if (this.app.NODE_ENV === 'production' && url.protocol !== 'https:') return { problem: 'url must be https' };
    if (url.username || url.password) return { problem: 'url must not carry credentials' };
    const { addresses, problem } = await resolveTarget(url.hostname, this.resolver);
    if (addresses.length === 0) return { problem };
    if (problem && !this.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS) return { problem };
    return { address: addresses[0] };
  }

  /** Registers (or replaces) the URL; a new signing secret is returned, shown this once. */
  async register(billerId: string, url: string): Promise<{ url: string; secret: string }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ValidationFailedError([{ field: 'url', problems: ['url must be an absolute http(s) URL'] }]);
    }
    const { problem } = await this.target(parsed);
    if (problem) throw new ValidationFailedError([{ field: 'url', problems: [problem] }]);
    const secret = 'whsec_' + randomBytes(24).toString('base64url');
    await this.dataSource.query(
      `INSERT INTO billing.biller_webhooks (biller_id, url, secret) VALUES ($1, $2, $3)
       ON CONFLICT (biller_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, updated_at = now()`,
      [billerId, parsed.toString(), secret],
    );
    return { url: parsed.toString(), secret };
  }

  /** Inside the payment's transaction: the event exists if and only if the payment does. */
  async paymentSucceeded(m: EntityManager, bill: BillRowDb, payment: { id: string; amount: string; currency: string; method: string; receipt_no: string | null; paid_at: Date | null }): Promise<void> {
    const [hook] = (await m.query(`SELECT 1 FROM billing.biller_webhooks WHERE biller_id = $1`, [bill.biller_id])) as unknown[];
    if (!hook) return;
    const payload = {
      type: 'bill_payment.succeeded',
      data: {
        paymentId: payment.id,
        billId: bill.id,
        customerRef: bill.customer_ref,
        period: bill.period,
        amount: Number(payment.amount),
        currency: payment.currency.trim(),
        method: payment.method,
        receiptNo: payment.receipt_no,
        paidAt: (payment.paid_at ?? new Date()).toISOString(),
      },
    };
    const [row] = (await m.query(`INSERT INTO billing.webhook_deliveries (biller_id, event_type, payload) VALUES ($1, $2, $3) RETURNING id`, [
      bill.biller_id,
      payload.type,
      JSON.stringify(payload),
    ])) as { id: string }[];
    // backoff doubling from 2 s: 16 retries span about a day and a half
    await this.jobs.sendInTransaction(m, WEBHOOK_JOB, { deliveryId: row.id }, { retryLimit: WEBHOOK_RETRIES, retryDelay: 1, retryBackoff: true });
  }

  /** The job: one attempt; throws (so pg-boss retries with backoff) unless the biller acknowledged; the last try marks it FAILED. */
  async deliver(deliveryId: string, final = false): Promise<void> {
    const [d] = (await this.dataSource.query(
      `SELECT d.*, w.url, w.secret FROM billing.webhook_deliveries d JOIN billing.biller_webhooks w ON w.biller_id = d.biller_id WHERE d.id = $1`,
      [deliveryId],
    )) as { id: string; status: string; payload: unknown; url: string; secret: string }[];
    if (!d || d.status === 'DELIVERED') return;
    const body = JSON.stringify({ id: d.id, ...(d.payload as object) });
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    const target = await this.target(new URL(d.url));
    let error: string | null = target.problem ?? null;
    if (target.address) {
      try {
        const res = await postPinned(
          new URL(d.url),
          target.address,
          { 'content-type': 'application/json', 'citypay-signature': webhookSignature(d.secret, timestamp, body), 'citypay-event-id': d.id },
          body,
          10_000,
        );
        status = res.status;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    const ok = status !== null && status >= 200 && status < 300;
    await this.dataSource.query(
      `UPDATE billing.webhook_deliveries SET attempts = attempts + 1, last_status_code = $2, last_error = $3,
              status = CASE WHEN $4 THEN 'DELIVERED' WHEN $5 THEN 'FAILED' ELSE status END,
              delivered_at = CASE WHEN $4 THEN now() ELSE delivered_at END
        WHERE id = $1`,
      [deliveryId, status, error ?? (ok ? null : `answered ${status}`), ok, final],
    );
    if (!ok && final) {
      this.logger.error(`webhook ${deliveryId} to ${d.url} never acknowledged; given up`);
      return;
    }
    if (!ok) {
      this.logger.warn(`webhook ${deliveryId} to ${d.url} not acknowledged (${error ?? status}); retried with backoff`);
      throw new Error(`webhook ${deliveryId} not acknowledged`);
    }
  }

  /** Newest first, `limit` a page, continuing after `after` (the cursor's position). */
  async deliveries(billerId: string, limit: number, after?: { at: string; id: string }): Promise<Page<DeliveryView>> {
    const rows = (await this.dataSource.query(
      `SELECT *, created_at::text AS position_at FROM billing.webhook_deliveries
        WHERE biller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [billerId, after?.at ?? null, after?.id ?? null, limit + 1],
    )) as { id: string; event_type: string; status: DeliveryView['status']; attempts: number; last_status_code: number | null; last_error: string | null; payload: unknown; created_at: Date; delivered_at: Date | null; position_at: string }[];
    const page = toPage(rows, limit, (last) => ({ at: last.position_at, id: last.id }));
    return {
      items: page.items.map((r) => ({
        id: r.id,
        eventType: r.event_type,
        status: r.status,
        attempts: r.attempts,
        lastStatusCode: r.last_status_code,
        lastError: r.last_error,
        payload: r.payload,
        createdAt: r.created_at.toISOString(),
        deliveredAt: r.delivered_at?.toISOString() ?? null,
      })),
      nextCursor: page.nextCursor,
    };
  }
}
