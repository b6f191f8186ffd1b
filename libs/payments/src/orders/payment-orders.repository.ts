import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { returnedRows } from '@app/database';
import { PaymentOrderEntity } from '../entities/payment-order.entity.js';
import type { ProviderCode } from '../provider/payment-provider.js';
import { toOrder } from './payment-order.js';
import type { PaymentOrder, PaymentOrderRow, PaymentOrderStatus } from './payment-order.js';

/** Who completed an order: its column `completed_by`. */
export type CompletionSource = 'NOTIFICATION' | 'QUERY' | 'EXPIRY' | 'PROVIDER_ERROR';

export interface PaymentOrderInsert {
  id: string;
  outTradeNo: string;
  userId: string;
  purpose: string;
  purposeRef: string | null;
  provider: ProviderCode;
  merchantId: string;
  amount: bigint;
  currency: string;
  providerAmount: bigint;
  providerCurrency: string;
  fx: { rate: string; source: string; asOf: Date } | undefined;
  subject: string;
  /** From now, ms. */
  ttlMs: number;
  /** First query, from now, ms. */
  queryAfterMs: number;
}

const one = (result: unknown): PaymentOrder | undefined => {
  const [row] = returnedRows<PaymentOrderRow>(result);
  return row ? toOrder(row) : undefined;
};

/**
 * Data access of payment orders and the notifications applied to them
 * (schema payments). Every transition is a conditional UPDATE: the caller
 * learns from the answer whether it won.
 */
@Injectable()
export class PaymentOrdersRepository {
  async insert(m: EntityManager, o: PaymentOrderInsert): Promise<PaymentOrder> {
    return one(
      await m.query(
        `INSERT INTO payments.payment_orders (id, out_trade_no, user_id, purpose, purpose_ref, provider, merchant_id, amount, currency,
                                     provider_amount, provider_currency, fx_rate, fx_source, fx_as_of, subject, expires_at, next_query_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 now() + $16 * interval '1 millisecond', now() + $17 * interval '1 millisecond')
         RETURNING *`,
        [
          o.id,
          o.outTradeNo,
          o.userId,
          o.purpose,
          o.purposeRef,
          o.provider,
          o.merchantId,
          o.amount.toString(),
          o.currency,
          o.providerAmount.toString(),
          o.providerCurrency,
          o.fx?.rate ?? null,
          o.fx?.source ?? null,
          o.fx?.asOf ?? null,
          o.subject,
          o.ttlMs,
          o.queryAfterMs,
        ],
      ),
    )!;
  }

  /** Stores the provider's checkout (the trade id only if none was known). */
  async saveCheckout(m: EntityManager, id: string, c: { providerTradeId: string | null; qrPayload: string | null; redirectUrl: string | null }): Promise<PaymentOrder> {
    return one(
      await m.query(
        `UPDATE payments.payment_orders SET provider_trade_id = COALESCE(provider_trade_id, $2), qr_payload = $3, redirect_url = $4 WHERE id = $1 RETURNING *`,
        [id, c.providerTradeId, c.qrPayload, c.redirectUrl],
      ),
    )!;
  }

  async byId(m: EntityManager, id: string): Promise<PaymentOrder | undefined> {
    const row = await m.findOneBy(PaymentOrderEntity, { id });
    return row ? toOrder(row) : undefined;
  }

  async byTradeNo(m: EntityManager, provider: ProviderCode, outTradeNo: string): Promise<PaymentOrder | undefined> {
    const row = await m.findOneBy(PaymentOrderEntity, { out_trade_no: outTradeNo, provider });
    return row ? toOrder(row) : undefined;
  }

  /** Records a provider's notification once; false when its id was seen before (a duplicate). */
  async recordNotification(m: EntityManager, provider: ProviderCode, notificationId: string, orderId: string, outcome: string): Promise<boolean> {
    const fresh = (await m.query(
      `INSERT INTO payments.payment_notifications (provider, notification_id, order_id, outcome) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [provider, notificationId, orderId, outcome],
    )) as unknown[];
    return fresh.length > 0;
  }

  /** PENDING -> SUCCEEDED; undefined when the order was no longer pending. */
  async captureIfPending(m: EntityManager, id: string, source: CompletionSource, paidAt: Date, providerTradeId: string | null): Promise<PaymentOrder | undefined> {
    return one(
      await m.query(
        `UPDATE payments.payment_orders
            SET status = 'SUCCEEDED', completed_at = now(), completed_by = $2, captured_at = $3,
                provider_trade_id = COALESCE($4, provider_trade_id)
          WHERE id = $1 AND status = 'PENDING' RETURNING *`,
        [id, source, paidAt, providerTradeId],
      ),
    );
  }

  /** Marks an order that ended unpaid as captured after all, once; undefined otherwise. */
  async markLateCapture(m: EntityManager, id: string, paidAt: Date, providerTradeId: string | null): Promise<PaymentOrder | undefined> {
    return one(
      await m.query(
        `UPDATE payments.payment_orders SET captured_at = $2, late_capture = true, provider_trade_id = COALESCE($3, provider_trade_id)
          WHERE id = $1 AND status IN ('FAILED', 'EXPIRED') AND captured_at IS NULL RETURNING *`,
        [id, paidAt, providerTradeId],
      ),
    );
  }

  /** PENDING -> FAILED or EXPIRED (watched 48 hours when asked); undefined when the order was no longer pending. */
  async endIfPending(
    m: EntityManager,
    id: string,
    status: Exclude<PaymentOrderStatus, 'PENDING' | 'SUCCEEDED'>,
    source: CompletionSource,
    reason: string,
    watch: boolean,
  ): Promise<PaymentOrder | undefined> {
    return one(
      await m.query(
        `UPDATE payments.payment_orders SET status = $2, completed_at = now(), completed_by = $3, failure_reason = $4,
                watch_until = CASE WHEN $5 THEN now() + interval '48 hours' END
          WHERE id = $1 AND status = 'PENDING' RETURNING *`,
        [id, status, source, reason, watch],
      ),
    );
  }

  /**
   * Claims up to `limit` orders due for a query (pending, or watched after
   * expiry and not captured), pushing their next query `intervalMs` away:
   * FOR UPDATE SKIP LOCKED, so replicas share the work.
   */
  async claimDue(m: EntityManager, intervalMs: number, limit: number): Promise<PaymentOrder[]> {
    return returnedRows<PaymentOrderRow>(
      await m.query(
        `UPDATE payments.payment_orders SET next_query_at = now() + $1 * interval '1 millisecond', query_attempts = query_attempts + 1
          WHERE id IN (SELECT id FROM payments.payment_orders
                        WHERE next_query_at <= now()
                          AND (status = 'PENDING' OR (watch_until > now() AND captured_at IS NULL))
                        ORDER BY next_query_at LIMIT $2 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [intervalMs, limit],
      ),
    ).map(toOrder);
  }

  async endWatch(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE payments.payment_orders SET watch_until = NULL WHERE id = $1`, [id]);
  }

  /** The order, row locked until the transaction ends (refunds of one order take turns). */
  async lock(m: EntityManager, id: string): Promise<PaymentOrder | undefined> {
    return one(await m.query(`SELECT * FROM payments.payment_orders WHERE id = $1 FOR UPDATE`, [id]));
  }

  /**
   * Counts `amount` (order currency) as refunded unless that exceeds what
   * was captured (conditional update): answers the order and the share of
   * the provider amount it returns (the last refund exactly what is left,
   * others in proportion, rounded down); undefined when it would exceed.
   */
  async reserveRefund(m: EntityManager, id: string, amount: bigint): Promise<{ order: PaymentOrder; providerAmount: bigint } | undefined> {
    const [updated] = returnedRows<PaymentOrderRow & { this_provider_amount: string }>(
      await m.query(
        `UPDATE payments.payment_orders o
            SET refunded_amount = o.refunded_amount + $2,
                refunded_provider_amount = o.refunded_provider_amount + p.amount
           FROM (SELECT CASE WHEN amount - refunded_amount = $2 THEN provider_amount - refunded_provider_amount
                             ELSE ($2 * provider_amount) / amount END AS amount
                   FROM payments.payment_orders WHERE id = $1) p
          WHERE o.id = $1 AND o.captured_at IS NOT NULL AND o.amount - o.refunded_amount >= $2
          RETURNING o.*, p.amount::text AS this_provider_amount`,
        [id, amount.toString()],
      ),
    );
    return updated && { order: toOrder(updated), providerAmount: BigInt(updated.this_provider_amount) };
  }

  /** Gives back what a refund the provider refused had counted as refunded. */
  async releaseRefund(m: EntityManager, id: string, amount: bigint, providerAmount: bigint): Promise<void> {
    await m.query(
      `UPDATE payments.payment_orders SET refunded_amount = refunded_amount - $2, refunded_provider_amount = refunded_provider_amount - $3 WHERE id = $1`,
      [id, amount.toString(), providerAmount.toString()],
    );
  }
}
