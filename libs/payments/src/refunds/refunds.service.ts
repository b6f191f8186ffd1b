import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { returnedRows, withTransactionRetry } from '@app/database';
import { JobsService } from '@app/jobs';
import { LedgerService } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { clearingPostings } from '../ledger-accounts.js';
import { toOrder } from '../orders/payment-order.js';
import type { PaymentOrderRow } from '../orders/payment-order.js';
import { NotCapturedError, RefundExceedsCaptureError, RefundKeyReusedError } from '../payments.errors.js';
import { PaymentProviders } from '../provider/provider-registry.js';

export const REFUND_JOB = 'payments.refund';

export interface Refund {
  id: string;
  orderId: string;
  outRefundNo: string;
  amount: bigint;
  providerAmount: bigint;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  reason: string;
  createdAt: Date;
  completedAt: Date | null;
}

interface RefundRow {
  id: string;
  order_id: string;
  request_key: string;
  out_refund_no: string;
  amount: string;
  provider_amount: string;
  source_account_id: string;
  status: Refund['status'];
  reason: string;
  created_at: Date;
  completed_at: Date | null;
}

const toRefund = (r: RefundRow): Refund => ({
  id: r.id,
  orderId: r.order_id,
  outRefundNo: r.out_refund_no,
  amount: BigInt(r.amount),
  providerAmount: BigInt(r.provider_amount),
  status: r.status,
  reason: r.reason,
  createdAt: r.created_at,
  completedAt: r.completed_at,
});

export interface RefundRequest {
  orderId: string;
  /** Order currency, minor units. */
  amount: bigint;
  reason: string;
  /** The same key again returns the same refund (idempotent); per order. */
  requestKey: string;
  /** The ledger account the money leaves (a wallet, a receivable, the suspense account). */
  source: LedgerAccount;
}

/**
 * Refunds at provider level. `request` runs inside the caller's transaction:
 * it takes the order's row lock, never lets refunds exceed what was captured
 * (conditional update + CHECK), posts source -> clearing, and enqueues the
 * provider call (outbox). The job calls the provider outside any transaction
 * (idempotent there by the refund number) and settles the refund; a refund the
 * provider refuses is reversed in the ledger.
 */
@Injectable()
export class RefundsService {
  private readonly logger = new Logger('Refunds');

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly jobs: JobsService,
    private readonly providers: PaymentProviders,
  ) {}

  async request(m: EntityManager, input: RefundRequest): Promise<Refund> {
    const [locked] = (await m.query(`SELECT * FROM payments.payment_orders WHERE id = $1 FOR UPDATE`, [input.orderId])) as PaymentOrderRow[];
    if (!locked) throw new Error(`no payment order ${input.orderId}`);
    const [existing] = (await m.query(`SELECT * FROM payments.payment_refunds WHERE order_id = $1 AND request_key = $2`, [input.orderId, input.requestKey])) as RefundRow[];
    if (existing) {
      if (BigInt(existing.amount) !== input.amount) throw new RefundKeyReusedError();
      return toRefund(existing);
    }
    if (!locked.captured_at) throw new NotCapturedError();
    // the last refund returns exactly what is left in the provider currency; others in proportion, rounded down
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
        [input.orderId, input.amount.toString()],
      ),
    );
    if (!updated) throw new RefundExceedsCaptureError();
    const order = toOrder(updated);
    const providerAmount = BigInt(updated.this_provider_amount);
    if (providerAmount <= 0n) throw new RefundExceedsCaptureError();
    const id = randomUUID();
    const [row] = (await m.query(
      `INSERT INTO payments.payment_refunds (id, order_id, request_key, out_refund_no, amount, provider_amount, source_account_id, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [id, order.id, input.requestKey, 'R' + id.replace(/-/g, ''), input.amount.toString(), providerAmount.toString(), input.source.id, input.reason],
    )) as RefundRow[];
    await this.ledger.post(
      {
        reference: `payment-refund:${id}`,
        kind: 'REFUND',
        description: input.reason,
        metadata: { orderId: order.id, provider: order.provider, refundId: id },
        postings: await clearingPostings(this.ledger, order, input.source.id, -input.amount, -providerAmount, m),
      },
      m,
    );
    await this.jobs.sendInTransaction(m, REFUND_JOB, { refundId: id }, { retryLimit: 30, retryDelay: 2, retryBackoff: true });
    return toRefund(row);
  }

  async forOrder(orderId: string): Promise<Refund[]> {
    const rows = (await this.dataSource.query(`SELECT * FROM payments.payment_refunds WHERE order_id = $1 ORDER BY created_at`, [orderId])) as RefundRow[];
    return rows.map(toRefund);
  }

  /** The job: asks the provider, then settles. Throws (so pg-boss retries) while the outcome is unknown. */
  async process(refundId: string): Promise<Refund['status']> {
    const [row] = (await this.dataSource.query(`SELECT * FROM payments.payment_refunds WHERE id = $1`, [refundId])) as RefundRow[];
    if (!row || row.status !== 'PENDING') return row?.status ?? 'FAILED';
    const [orderRow] = (await this.dataSource.query(`SELECT * FROM payments.payment_orders WHERE id = $1`, [row.order_id])) as PaymentOrderRow[];
    const order = toOrder(orderRow);
    await this.dataSource.query(`UPDATE payments.payment_refunds SET attempts = attempts + 1 WHERE id = $1`, [refundId]);
    const result = await (await this.providers.get(order.provider)).refund({
      outTradeNo: order.outTradeNo,
      outRefundNo: row.out_refund_no,
      amount: BigInt(row.provider_amount),
      totalAmount: order.providerAmount,
      currency: order.providerCurrency,
      reason: row.reason,
    });
    if (result.status === 'PENDING') throw new Error(`refund ${refundId} still processing at ${order.provider}`);
    if (result.status === 'SUCCEEDED') {
      await this.dataSource.query(
        `UPDATE payments.payment_refunds SET status = 'SUCCEEDED', completed_at = now(), provider_refund_id = $2 WHERE id = $1 AND status = 'PENDING'`,
        [refundId, result.providerRefundId ?? null],
      );
      return 'SUCCEEDED';
    }
    this.logger.error({ refundId, orderId: order.id, reason: result.reason }, `${order.provider} refused refund ${row.out_refund_no}: reversed in the ledger`);
    await withTransactionRetry(this.dataSource, async (m) => {
      const [failed] = returnedRows<RefundRow>(
        await m.query(
          `UPDATE payments.payment_refunds SET status = 'FAILED', completed_at = now(), failure_reason = $2 WHERE id = $1 AND status = 'PENDING' RETURNING *`,
          [refundId, result.reason ?? 'refused by the provider'],
        ),
      );
      if (!failed) return;
      await m.query(
        `UPDATE payments.payment_orders SET refunded_amount = refunded_amount - $2, refunded_provider_amount = refunded_provider_amount - $3 WHERE id = $1`,
        [order.id, failed.amount, failed.provider_amount],
      );
      const refunded = await this.ledger.entryId(`payment-refund:${refundId}`, m);
      await this.ledger.post(
        {
          reference: `payment-refund:${refundId}:reversal`,
          kind: 'REFUND_REVERSAL',
          description: `Refund refused by ${order.provider}: ${result.reason ?? ''}`.trim(),
          reverses: refunded,
          metadata: { orderId: order.id, refundId },
          postings: await clearingPostings(this.ledger, order, failed.source_account_id, BigInt(failed.amount), BigInt(failed.provider_amount), m),
        },
        m,
      );
    });
    return 'FAILED';
  }
}
