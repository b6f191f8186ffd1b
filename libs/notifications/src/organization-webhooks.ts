import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { postPinned, resolveTarget, systemResolver, toPage, UUID, ValidationFailedError } from '@app/common';
import type { Page, ResolvedAddress, Resolver } from '@app/common';
import { AppConfig } from '@app/config';
import { NotificationsConfig } from './notifications.config.js';
import { WebhooksRepository } from './webhooks.repository.js';
import type { ClaimedDelivery } from './webhooks.repository.js';

/** Retries after the first attempt (backoff doubling from 2 s: about a day and a half in all). */
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

/** One event for an organisation's endpoint: `{id, type, data}` is what it receives. */
export interface WebhookEvent {
  organizationId: string;
  type: string;
  data: Record<string, unknown>;
  /** Makes the event idempotent per organisation and type (e.g. the payment's id). */
  key: string;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe signs its webhooks. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Signed outgoing webhooks of organisations (billers today): the endpoint
 * each registers, the events written to the outbox in the transaction of
 * the business event (none for a rolled-back one), one delivery attempt
 * (WebhookRelay runs them), and the delivery log.
 */
@Injectable()
export class OrganizationWebhooks {
  /** How target host names are resolved (replaced in tests to play DNS). */
  resolver: Resolver = systemResolver;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: WebhooksRepository,
    @Inject(NotificationsConfig) private readonly config: NotificationsConfig,
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

  /** Registers (or replaces) the organisation's URL; a new signing secret is returned, shown this once. */
  async register(organizationId: string, url: string): Promise<{ url: string; secret: string }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ValidationFailedError([{ field: 'url', problems: ['url must be an absolute http(s) URL'] }]);
    }
    const { problem } = await this.target(parsed);
    if (problem) throw new ValidationFailedError([{ field: 'url', problems: [problem] }]);
    const secret = 'whsec_' + randomBytes(24).toString('base64url');
    await this.repository.upsertEndpoint(this.dataSource.manager, organizationId, parsed.toString(), secret);
    return { url: parsed.toString(), secret };
  }

  /**
   * Writes the event to the outbox in the caller's transaction `manager`:
   * it exists if and only if that transaction commits. Nothing when the
   * organisation has no endpoint, or (type, key) was written already.
   */
  async enqueue(manager: EntityManager, event: WebhookEvent): Promise<string | null> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error("enqueue() runs inside the transaction of the event it reports (pass that transaction's EntityManager)");
    }
    return this.repository.enqueue(manager, event.organizationId, event.type, event.key, event.data);
  }

  /** One attempt of a claimed delivery: POSTs it signed to the address checked; records the outcome (retry, DELIVERED or FAILED). */
  async attempt(d: ClaimedDelivery): Promise<{ ok: boolean; url: string; error: string | null; statusCode: number | null; final: boolean }> {
    const body = JSON.stringify({ id: d.id, ...d.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    let statusCode: number | null = null;
    let error: string | null;
    try {
      const url = new URL(d.url);
      const target = await this.target(url);
      error = target.problem ?? null;
      if (target.address) {
        const res = await postPinned(
          url,
          target.address,
          { 'content-type': 'application/json', 'citypay-signature': webhookSignature(d.secret, timestamp, body), 'citypay-event-id': d.id },
          body,
          10_000,
        );
        statusCode = res.status;
      }
    } catch (err) {
      error = (err as Error).message;
    }
    const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const outcome = { ok, statusCode, error: error ?? (ok ? null : `answered ${statusCode}`) };
    await this.repository.recordAttempt(this.dataSource.manager, d.id, outcome, WEBHOOK_RETRIES + 1);
    return { ...outcome, url: d.url, final: !ok && d.attempts + 1 >= WEBHOOK_RETRIES + 1 };
  }

  /** The organisation's deliveries, newest first, `limit` a page, continuing after `after` (the cursor's position). */
  async deliveries(organizationId: string, limit: number, after?: { at: string; id: string }): Promise<Page<DeliveryView>> {
    const rows = UUID.test(organizationId) ? await this.repository.page(this.dataSource.manager, organizationId, limit, after) : [];
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
