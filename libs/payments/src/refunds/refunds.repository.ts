import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { returnedRows } from '@app/database';
import { PaymentRefundEntity } from '../entities/payment-refund.entity.js';

export interface RefundInsert {
  id: string;
  orderId: string;
  requestKey: string;
  outRefundNo: string;
  amount: bigint;
  providerAmount: bigint;
  sourceAccountId: string;
  reason: string;
}

/** A payment_refunds row as a hand-written `RETURNING *` answers it (bigint columns as strings). */
type RawRefund = Omit<PaymentRefundEntity, 'amount' | 'provider_amount'> & { amount: string; provider_amount: string };

const hydrate = (r: RawRefund): PaymentRefundEntity => ({ ...r, amount: BigInt(r.amount), provider_amount: BigInt(r.provider_amount) });

/** Data access of refunds (payments.payment_refunds). */
@Injectable()
export class RefundsRepository {
  byId(m: EntityManager, id: string): Promise<PaymentRefundEntity | null> {
    return m.findOneBy(PaymentRefundEntity, { id });
  }

  byRequestKey(m: EntityManager, orderId: string, requestKey: string): Promise<PaymentRefundEntity | null> {
    return m.findOneBy(PaymentRefundEntity, { order_id: orderId, request_key: requestKey });
  }

  forOrder(m: EntityManager, orderId: string): Promise<PaymentRefundEntity[]> {
    return m.find(PaymentRefundEntity, { where: { order_id: orderId }, order: { created_at: 'ASC' } });
  }

  async insert(m: EntityManager, r: RefundInsert): Promise<PaymentRefundEntity> {
    const [row] = (await m.query(
      `INSERT INTO payments.payment_refunds (id, order_id, request_key, out_refund_no, amount, provider_amount, source_account_id, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [r.id, r.orderId, r.requestKey, r.outRefundNo, r.amount.toString(), r.providerAmount.toString(), r.sourceAccountId, r.reason],
    )) as RawRefund[];
    return hydrate(row);
  }

  async countAttempt(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE payments.payment_refunds SET attempts = attempts + 1 WHERE id = $1`, [id]);
  }

  /** PENDING -> SUCCEEDED, once. */
  async succeed(m: EntityManager, id: string, providerRefundId: string | null): Promise<void> {
    await m.query(
      `UPDATE payments.payment_refunds SET status = 'SUCCEEDED', completed_at = now(), provider_refund_id = $2 WHERE id = $1 AND status = 'PENDING'`,
      [id, providerRefundId],
    );
  }

  /** PENDING -> FAILED, once; undefined when another settled it first. */
  async fail(m: EntityManager, id: string, reason: string): Promise<PaymentRefundEntity | undefined> {
    const [row] = returnedRows<RawRefund>(
      await m.query(`UPDATE payments.payment_refunds SET status = 'FAILED', completed_at = now(), failure_reason = $2 WHERE id = $1 AND status = 'PENDING' RETURNING *`, [
        id,
        reason,
      ]),
    );
    return row ? hydrate(row) : undefined;
  }
}
