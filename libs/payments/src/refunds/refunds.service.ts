import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { withTransactionRetry } from '@app/database';
import { JobsService } from '@app/jobs';
import { LedgerService } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { clearingPostings } from '../ledger-accounts.js';
import type { PaymentRefundEntity } from '../entities/payment-refund.entity.js';
import { PaymentOrdersRepository } from '../orders/payment-orders.repository.js';
import { NotCapturedError, RefundExceedsCaptureError, RefundKeyReusedError } from '../payments.errors.js';
import { PaymentProviders } from '../provider/provider-registry.js';
import { RefundsRepository } from './refunds.repository.js';

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

const toRefund = (r: PaymentRefundEntity): Refund => ({
  id: r.id,
  orderId: r.order_id,
  outRefundNo: r.out_refund_no,
  amount: r.amount,
  providerAmount: r.provider_amount,
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
    private readonly orders: PaymentOrdersRepository,
    private readonly refunds: RefundsRepository,
  ) {}

  async request(m: EntityManager, input: RefundRequest): Promise<Refund> {
    const locked = await this.orders.lock(m, input.orderId);
    if (!locked) throw new Error(`no payment order ${input.orderId}`);
    const existing = await this.refunds.byRequestKey(m, input.orderId, input.requestKey);
    if (existing) {
      if (existing.amount !== input.amount) throw new RefundKeyReusedError();
      return toRefund(existing);
    }
    if (!locked.capturedAt) throw new NotCapturedError();
    const reserved = await this.orders.reserveRefund(m, input.orderId, input.amount);
    if (!reserved) throw new RefundExceedsCaptureError();
    const { order, providerAmount } = reserved;
    if (providerAmount <= 0n) throw new RefundExceedsCaptureError();
    const id = randomUUID();
    const row = await this.refunds.insert(m, {
      id,
      orderId: order.id,
      requestKey: input.requestKey,
      outRefundNo: 'R' + id.replace(/-/g, ''),
      amount: input.amount,
      providerAmount,
      sourceAccountId: input.source.id,
      reason: input.reason,
    });
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
    return (await this.refunds.forOrder(this.dataSource.manager, orderId)).map(toRefund);
  }

  /** The job: asks the provider, then settles. Throws (so pg-boss retries) while the outcome is unknown. */
  async process(refundId: string): Promise<Refund['status']> {
    const db = this.dataSource.manager;
    const row = await this.refunds.byId(db, refundId);
    if (!row || row.status !== 'PENDING') return row?.status ?? 'FAILED';
    const order = (await this.orders.byId(db, row.order_id))!;
    await this.refunds.countAttempt(db, refundId);
    const result = await (await this.providers.get(order.provider)).refund({
      outTradeNo: order.outTradeNo,
      outRefundNo: row.out_refund_no,
      amount: row.provider_amount,
      totalAmount: order.providerAmount,
      currency: order.providerCurrency,
      reason: row.reason,
    });
    if (result.status === 'PENDING') throw new Error(`refund ${refundId} still processing at ${order.provider}`);
    if (result.status === 'SUCCEEDED') {
      await this.refunds.succeed(db, refundId, result.providerRefundId ?? null);
      return 'SUCCEEDED';
    }
    this.logger.error({ refundId, orderId: order.id, reason: result.reason }, `${order.provider} refused refund ${row.out_refund_no}: reversed in the ledger`);
    await withTransactionRetry(this.dataSource, async (m) => {
      const failed = await this.refunds.fail(m, refundId, result.reason ?? 'refused by the provider');
      if (!failed) return;
      await this.orders.releaseRefund(m, order.id, failed.amount, failed.provider_amount);
      const refunded = await this.ledger.entryId(`payment-refund:${refundId}`, m);
      await this.ledger.post(
        {
          reference: `payment-refund:${refundId}:reversal`,
          kind: 'REFUND_REVERSAL',
          description: `Refund refused by ${order.provider}: ${result.reason ?? ''}`.trim(),
          reverses: refunded,
          metadata: { orderId: order.id, refundId },
          postings: await clearingPostings(this.ledger, order, failed.source_account_id, failed.amount, failed.provider_amount, m),
        },
        m,
      );
    });
    return 'FAILED';
  }
}
