import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { BatchItemError } from '@app/common';
import type { ItemOutcome } from '@app/common';
import { preparedQuery, ReplicaReads, returnedRows } from '@app/database';
import type { PaymentRow, PayResult } from './bill-payment.js';
import type { BillRowDb } from './bills.service.js';

export type PaymentWithBillRow = PaymentRow & { customer_ref: string; period: string };

/** The SQL of bill payments (billing.bill_payments, and the bill rows they move). */
@Injectable()
export class BillPaymentsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reads: ReplicaReads,
  ) {}

  /**
   * One call of billing.pay_from_wallet() (see its migrations); throws its
   * SQLSTATE refusals as they come. With `m`, in that transaction; without,
   * as a statement of its own (its own transaction: the one round trip of
   * the payment). With
   * `idempotency`, the statement also stores `response` as the request's
   * idempotent response (IK409 if the claim was lost).
   */
  async payFromWallet(
    m: EntityManager | undefined,
    input: {
      paymentId: string;
      billId: string;
      payerId: string;
      requested: bigint | undefined;
      autopayAccountId: string | undefined;
      idempotency: { scope: string; key: string; claim: string; status: number } | undefined;
    },
  ): Promise<{ response: PayResult }> {
    const idem = input.idempotency;
    // a named prepared statement: parsed and planned once per connection, not
    // on every payment; and only the response: the function's other columns
    // (bill, payment, has_webhook) are not needed here, and each is a jsonb
    // document the driver would parse on every payment
    const [row] = await preparedQuery<{ response: PayResult }>(
      m ?? this.dataSource.manager,
      'billing.pay_from_wallet',
      `SELECT response FROM billing.pay_from_wallet($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        input.paymentId,
        input.billId,
        input.payerId,
        input.requested?.toString() ?? null,
        input.autopayAccountId ?? null,
        m === undefined,
        idem?.scope ?? null,
        idem?.key ?? null,
        idem?.claim ?? null,
        idem?.status ?? null,
      ],
    );
    return { response: row!.response };
  }

  /**
   * Wallet payments by billing.pay_from_wallet_batch(): one autocommit
   * statement for all of them, tried as one set (one UPDATE of the bills,
   * one INSERT of the payments, one ledger_post_many(), ...) and, if any of
   * them is refused, each as billing.pay_from_wallet() on its own would run
   * it (with its stored idempotent response) in its own subtransaction; an
   * outcome per payment, in order: its response, or its error (SQLSTATE,
   * message and detail as a BatchItemError), and which way the batch went
   * ('set', 'each', or 'alone' for a batch of one) with, when a set attempt
   * was undone, what undid it (`SQLSTATE: message`).
   */
  async payFromWalletBatch(
    items: { paymentId: string; billId: string; payerId: string; requested: bigint | undefined; idempotency: { scope: string; key: string; claim: string; status: number; requestHash: Buffer | null } | undefined }[],
    logIn?: (log: () => void) => void,
  ): Promise<{ outcomes: ItemOutcome<{ response: PayResult }>[]; path: 'set' | 'each' | 'alone'; setError: string | null }> {
    const rows = await preparedQuery<{ ord: number; response: PayResult | null; error_state: string | null; error_message: string | null; error_detail: string | null; path: 'set' | 'each' | 'alone'; set_error: string | null }>(
      this.dataSource.manager,
      'billing.pay_from_wallet_batch',
      `SELECT ord, response, error_state, error_message, error_detail, path, set_error FROM billing.pay_from_wallet_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        items.map((i) => i.paymentId),
        items.map((i) => i.billId),
        items.map((i) => i.payerId),
        items.map((i) => i.requested?.toString() ?? null),
        items.map((i) => i.idempotency?.scope ?? null),
        items.map((i) => i.idempotency?.key ?? null),
        items.map((i) => i.idempotency?.claim ?? null),
        items.map((i) => i.idempotency?.status ?? null),
        // a key not claimed yet: the statement claims it (common.idempotency_claim_fresh)
        items.map((i) => i.idempotency?.requestHash ?? null),
      ],
      logIn,
    );
    const outcomes: ItemOutcome<{ response: PayResult }>[] = new Array(items.length);
    for (const row of rows) {
      outcomes[row.ord - 1] = row.error_state
        ? { ok: false, error: new BatchItemError(row.error_state, row.error_message ?? row.error_state, row.error_detail || undefined) }
        : { ok: true, value: { response: row.response! } };
    }
    return { outcomes, path: rows[0]?.path ?? 'alone', setError: rows[0]?.set_error ?? null };
  }

  /** The bill under its row lock, with its biller's amount rules. */
  async lockBill(m: EntityManager, billId: string): Promise<(BillRowDb & { biller_allows_partial: boolean; biller_allows_advance: boolean }) | undefined> {
    const [locked] = (await m.query(
      `SELECT b.*, b.due_date::text AS due_date, r.allows_partial AS biller_allows_partial, r.allows_advance AS biller_allows_advance
         FROM billing.bills b JOIN billing.billers r ON r.organization_id = b.biller_id WHERE b.id = $1 FOR UPDATE OF b`,
      [billId],
    )) as (BillRowDb & { biller_allows_partial: boolean; biller_allows_advance: boolean })[];
    return locked;
  }

  async addToBill(m: EntityManager, billId: string, amount: bigint): Promise<BillRowDb> {
    const [bill] = returnedRows<BillRowDb>(
      await m.query(
        `UPDATE billing.bills SET paid_amount = paid_amount + $2, has_payments = true, updated_at = now() WHERE id = $1
         RETURNING *, due_date::text AS due_date`,
        [billId, amount.toString()],
      ),
    );
    return bill;
  }

  async insertPending(
    m: EntityManager,
    p: { id: string; billId: string; billerId: string; payerId: string; amount: bigint; explicit: boolean; currency: string; method: string; orderId: string },
  ): Promise<void> {
    await m.query(
      `INSERT INTO billing.bill_payments (id, bill_id, biller_id, payer_user_id, amount, amount_explicit, currency, method, status, payment_order_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9)`,
      [p.id, p.billId, p.billerId, p.payerId, p.amount.toString(), p.explicit, p.currency, p.method, p.orderId],
    );
  }

  async find(m: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<PaymentRow | undefined> {
    const [row] = (await m.query(`SELECT * FROM billing.bill_payments WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id])) as PaymentRow[];
    return row;
  }

  async markSucceeded(m: EntityManager, id: string): Promise<PaymentRow> {
    const [row] = returnedRows<PaymentRow>(
      await m.query(`UPDATE billing.bill_payments SET status = 'SUCCEEDED', receipt_no = billing.next_receipt_no(), paid_at = now() WHERE id = $1 RETURNING *`, [id]),
    );
    return row;
  }

  /** A pending payment whose provider order ended unpaid. */
  async markFailed(m: EntityManager, id: string, reason: string): Promise<void> {
    await m.query(`UPDATE billing.bill_payments SET status = 'FAILED', ended_at = now(), failure_reason = $2 WHERE id = $1 AND status = 'PENDING'`, [id, reason]);
  }

  /** Refunded: `from` the statuses it may come from (a payment that no longer fits, or paid after it had ended). */
  async markRefunded(m: EntityManager, id: string, reason: string, from: readonly PaymentRow['status'][], options: { ended?: boolean } = {}): Promise<void> {
    await m.query(
      `UPDATE billing.bill_payments SET status = 'REFUNDED', failure_reason = $2${options.ended ? ', ended_at = now()' : ''} WHERE id = $1 AND status = ANY($3::text[])`,
      [id, reason, from],
    );
  }

  async ofPayer(paymentId: string, payerId: string): Promise<PaymentWithBillRow | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT p.*, b.customer_ref, b.period FROM billing.bill_payments p
         JOIN billing.bills b ON b.id = p.bill_id
        WHERE p.id = $1 AND p.payer_user_id = $2`,
      [paymentId, payerId],
    )) as PaymentWithBillRow[];
    return row;
  }

  /** Succeeded payments of a biller in [start, end), in ledger order. */
  async succeededBetween(billerId: string, start: Date, end: Date): Promise<PaymentWithBillRow[]> {
    // a day that has ended may be read from the replica, once it has replayed past that day (exact either way)
    return (await this.reads.queryCommittedBefore(
      end,
      `SELECT p.*, b.customer_ref, b.period FROM billing.bill_payments p JOIN billing.bills b ON b.id = p.bill_id
        WHERE p.biller_id = $1 AND p.status = 'SUCCEEDED' AND p.paid_at >= $2 AND p.paid_at < $3
        ORDER BY p.paid_at, p.id`,
      [billerId, start, end],
    )) as PaymentWithBillRow[];
  }

  /** Count and total of succeeded payments per Asia/Shanghai day in [start, end). */
  async dailyTotals(billerId: string, start: Date, end: Date): Promise<{ day: string; count: number; total: string }[]> {
    return (await this.dataSource.query(
      `SELECT to_char(p.paid_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, count(*)::int AS count, sum(p.amount)::text AS total
         FROM billing.bill_payments p
        WHERE p.biller_id = $1 AND p.status = 'SUCCEEDED' AND p.paid_at >= $2 AND p.paid_at < $3
        GROUP BY 1`,
      [billerId, start, end],
    )) as { day: string; count: number; total: string }[];
  }

  /** Claims a pending auto-pay attempt (once): its bill and linked account, or nothing. */
  async claimAutopay(m: EntityManager, attemptId: string): Promise<{ bill_id: string; account_id: string } | undefined> {
    const [attempt] = returnedRows<{ bill_id: string; account_id: string }>(
      await m.query(`UPDATE billing.autopay_attempts SET status = 'PAID', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING bill_id, account_id`, [attemptId]),
    );
    return attempt;
  }

  /** The linked account's holder and auto-pay cap, held (FOR SHARE) until the payment commits. */
  async autopayAccount(m: EntityManager, accountId: string): Promise<{ user_id: string; cap: string | null }> {
    const [account] = (await m.query(`SELECT user_id, autopay_max_amount::text AS cap FROM billing.biller_accounts WHERE id = $1 FOR SHARE`, [accountId])) as {
      user_id: string;
      cap: string | null;
    }[];
    return account;
  }

  /** What is outstanding on the bill, under its row lock. */
  async lockOutstanding(m: EntityManager, billId: string): Promise<bigint> {
    const [bill] = (await m.query(`SELECT amount::text, paid_amount::text FROM billing.bills WHERE id = $1 FOR UPDATE`, [billId])) as { amount: string; paid_amount: string }[];
    return BigInt(bill.amount) - BigInt(bill.paid_amount);
  }

  async setAutopayPayment(m: EntityManager, attemptId: string, paymentId: string): Promise<void> {
    await m.query(`UPDATE billing.autopay_attempts SET payment_id = $2 WHERE id = $1`, [attemptId, paymentId]);
  }
}
