import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** A bill and one citizen who linked its account: who hears of it, and what. */
export interface BillRecipientRow {
  user_id: string;
  account_id: string;
  bill_id: string;
  biller_id: string;
  customer_ref: string;
  period: string;
  amount: string;
  outstanding: string;
  currency: string;
  due_date: string;
}

const RECIPIENT_COLUMNS = `a.user_id, a.id AS account_id, b.id AS bill_id, b.biller_id, b.customer_ref, b.period, b.amount::text AS amount,
       (b.amount - b.paid_amount)::text AS outstanding, b.currency, b.due_date::text AS due_date`;

/** The billing side of citizen notifications: whom a bill event concerns (billing's tables only). */
@Injectable()
export class BillNoticesRepository {
  /** BILL_PAID to the payer of this payment (billing.notify_bill_paid, through notifications' SQL API); answers the payer. */
  async notifyBillPaid(m: EntityManager, paymentId: string): Promise<string | undefined> {
    const [row] = (await m.query(`SELECT billing.notify_bill_paid($1) AS written, (SELECT payer_user_id FROM billing.bill_payments WHERE id = $1) AS payer`, [
      paymentId,
    ])) as { written: boolean | null; payer: string | null }[];
    return row?.written && row.payer ? row.payer : undefined;
  }

  /** Citizens whose linked accounts these bills are on. */
  async recipientsOf(m: EntityManager, billIds: readonly string[]): Promise<BillRecipientRow[]> {
    if (billIds.length === 0) return [];
    return (await m.query(
      `SELECT ${RECIPIENT_COLUMNS}
         FROM billing.bills b JOIN billing.biller_accounts a ON a.biller_id = b.biller_id AND a.customer_ref = b.customer_ref
        WHERE b.id = ANY($1::uuid[])
        ORDER BY b.id, a.user_id`,
      [billIds],
    )) as BillRecipientRow[];
  }

  /** Linked citizens of bills due after `today` and at most three days later, not paid in full. */
  async dueSoon(m: EntityManager, today: string): Promise<BillRecipientRow[]> {
    return (await m.query(
      `SELECT ${RECIPIENT_COLUMNS}
         FROM billing.bills b JOIN billing.biller_accounts a ON a.biller_id = b.biller_id AND a.customer_ref = b.customer_ref
        WHERE b.due_date > $1::date AND b.due_date <= $1::date + 3 AND b.paid_amount < b.amount
        ORDER BY b.id, a.user_id`,
      [today],
    )) as BillRecipientRow[];
  }

  /** Marks a pending auto-pay attempt FAILED (once) and returns its account holder and bill; none when it was not pending. */
  async failAutopay(m: EntityManager, attemptId: string, reason: string): Promise<BillRecipientRow | undefined> {
    const [row] = (await m.query(
      `WITH failed AS (
         UPDATE billing.autopay_attempts SET status = 'FAILED', reason = $2, updated_at = now()
          WHERE id = $1 AND status = 'PENDING' RETURNING account_id, bill_id)
       SELECT ${RECIPIENT_COLUMNS}
         FROM failed f JOIN billing.biller_accounts a ON a.id = f.account_id JOIN billing.bills b ON b.id = f.bill_id`,
      [attemptId, reason],
    )) as BillRecipientRow[];
    return row;
  }
}
