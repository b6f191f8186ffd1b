import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { IdempotencyService, NotFoundError, ValidationFailedError } from '@app/common';
import type { Currency } from '@app/common';
import { returnedRows, withTransactionRetry } from '@app/database';
import { InsufficientFundsError, LedgerService, WalletService } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { PaymentOrdersService, PaymentPurposes, paymentOrderView } from '@app/payments';
import type { PaymentOrder, ProviderCode } from '@app/payments';
import { BillAlreadyPaidError, OverpaymentError, PartialNotAllowedError } from './billing.errors.js';
import { BillsService, toBillView } from './bills.service.js';
import type { BillRowDb, BillView, Biller } from './bills.service.js';
import { decideAmount } from './domain/amount-rule.js';
import { WebhooksService } from './webhooks.service.js';

export type PaymentMethod = 'WALLET' | ProviderCode;

export interface BillPaymentView {
  id: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';
  amount: number;
  currency: Currency;
  method: PaymentMethod;
  billId: string;
  receiptNo?: string;
  paidAt?: string;
  createdAt: string;
}

export interface PayResult {
  payment: BillPaymentView;
  bill: BillView;
  checkout?: { providerTradeId: string | null; qrPayload?: string; redirectUrl?: string };
}

export interface Receipt {
  receiptNo: string;
  billerName: string;
  customerRef: string;
  period: string;
  amount: number;
  currency: Currency;
  paidAt: string;
}

interface PaymentRow {
  id: string;
  bill_id: string;
  biller_id: string;
  payer_user_id: string;
  amount: string;
  currency: string;
  method: PaymentMethod;
  status: BillPaymentView['status'];
  payment_order_id: string | null;
  receipt_no: string | null;
  failure_reason: string | null;
  created_at: Date;
  paid_at: Date | null;
}

const toPaymentView = (r: PaymentRow): BillPaymentView => ({
  id: r.id,
  status: r.status,
  amount: Number(r.amount),
  currency: r.currency.trim() as Currency,
  method: r.method,
  billId: r.bill_id,
  ...(r.receipt_no ? { receiptNo: r.receipt_no } : {}),
  ...(r.paid_at ? { paidAt: r.paid_at.toISOString() } : {}),
  createdAt: r.created_at.toISOString(),
});

const REFUSAL = {
  BILL_ALREADY_PAID: () => new BillAlreadyPaidError(),
  OVERPAYMENT: (o: bigint) => new OverpaymentError(o),
  PARTIAL_NOT_ALLOWED: (o: bigint) => new PartialNotAllowedError(o),
} as const;

// the amount rules, applied to the bill row itself: a payment lands only if it still fits
const APPLY_TO_BILL = `
  UPDATE bills b SET paid_amount = b.paid_amount + $2, has_payments = true, updated_at = now()
    FROM organizations o
   WHERE b.id = $1 AND o.id = b.biller_id AND b.amount - b.paid_amount > 0
     AND (o.biller_allows_advance OR b.paid_amount + $2 <= b.amount)
     AND (o.biller_allows_partial OR b.paid_amount + $2 >= b.amount)
  RETURNING b.*, b.due_date::text AS due_date`;

// a human-readable receipt number: BP, the Shanghai business day, a sequence
const RECEIPT_NO = `'BP' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(nextval('bill_receipt_numbers')::text, 8, '0')`;

/**
 * Paying bills: from the wallet (settled at once, one transaction: the
 * bill's conditional update, the payment with its receipt, the ledger entry
 * wallet -> biller receivable, the webhook outbox, the idempotent response)
 * or through a provider (PENDING with a checkout; settled by the payment
 * order's completion handler, which refunds a payment that no longer fits
 * the bill).
 */
@Injectable()
export class BillPaymentsService implements OnModuleInit {
  private readonly logger = new Logger('BillPayments');

  constructor(
    private readonly dataSource: DataSource,
    private readonly bills: BillsService,
    private readonly ledger: LedgerService,
    private readonly wallets: WalletService,
    private readonly orders: PaymentOrdersService,
    private readonly purposes: PaymentPurposes,
    private readonly idempotency: IdempotencyService,
    private readonly webhooks: WebhooksService,
  ) {}

  onModuleInit(): void {
    this.purposes.register('BILL_PAYMENT', {
      onCaptured: (order, m) => this.onCaptured(order, m),
      onEnded: async (order, m) => {
        await m.query(`UPDATE bill_payments SET status = 'FAILED', ended_at = now(), failure_reason = $2 WHERE id = $1 AND status = 'PENDING'`, [
          order.purposeRef,
          `payment ${order.status.toLowerCase()}`,
        ]);
      },
    });
  }

  receivable(billerId: string, currency: Currency, m: EntityManager): Promise<LedgerAccount> {
    return this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: billerId, purpose: 'RECEIVABLE', currency, hot: true }, m);
  }

  async pay(userId: string, billId: string, input: { amount?: number; method: PaymentMethod }): Promise<PayResult> {
    const bill = await this.bills.bill(billId);
    const biller = await this.bills.biller(bill.biller_id);
    const amount = this.decide(bill, biller, input.amount === undefined ? undefined : BigInt(input.amount));
    if (input.method === 'WALLET') {
      return withTransactionRetry(this.dataSource, async (m) => {
        const result = await this.payFromWallet(m, userId, bill.id, amount);
        await this.idempotency.record(m, result);
        return result;
      });
    }
    return this.payThroughProvider(userId, bill, biller, amount, input.method);
  }

  /** The amount rules against the bill as read; the conditional update re-applies them when the money lands. */
  private decide(bill: BillRowDb, biller: Biller, requested: bigint | undefined): bigint {
    const outstanding = BigInt(bill.amount) - BigInt(bill.paid_amount);
    const decision = decideAmount(outstanding, requested, biller);
    if (!decision.ok) throw REFUSAL[decision.code](outstanding);
    return decision.amount;
  }

  /** One transaction: the bill, the payment and its receipt, wallet -> receivable (402 when short), the webhook outbox. */
  async payFromWallet(m: EntityManager, userId: string, billId: string, amount: bigint, autopayAccountId?: string): Promise<PayResult> {
    const [bill] = returnedRows<BillRowDb>(await m.query(APPLY_TO_BILL, [billId, amount.toString()]));
    if (!bill) {
      const now = await this.bills.bill(billId, m);
      this.decide(now, await this.bills.biller(now.biller_id, m), amount);
      throw new BillAlreadyPaidError();
    }
    const currency = bill.currency.trim() as Currency;
    const id = randomUUID();
    const [payment] = (await m.query(
      `INSERT INTO bill_payments (id, bill_id, biller_id, payer_user_id, amount, currency, method, status, autopay_account_id, receipt_no, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'WALLET', 'SUCCEEDED', $7, ${RECEIPT_NO}, now()) RETURNING *`,
      [id, bill.id, bill.biller_id, userId, amount.toString(), currency, autopayAccountId ?? null],
    )) as PaymentRow[];
    const wallet = await this.wallets.walletAccount(userId, currency, m);
    const receivable = await this.receivable(bill.biller_id, currency, m);
    await this.ledger.post(
      {
        reference: `bill-payment:${id}`,
        kind: 'BILL_PAYMENT',
        description: `Bill ${bill.customer_ref} ${bill.period}, receipt ${payment.receipt_no}`,
        metadata: { billId: bill.id, paymentId: id, billerId: bill.biller_id },
        postings: [
          { accountId: wallet.id, currency, amount: -amount },
          { accountId: receivable.id, currency, amount },
        ],
      },
      m,
    );
    await this.webhooks.paymentSucceeded(m, bill, payment);
    return { payment: toPaymentView(payment), bill: toBillView(bill) };
  }

  private async payThroughProvider(userId: string, bill: BillRowDb, biller: Biller, amount: bigint, method: ProviderCode): Promise<PayResult> {
    const id = randomUUID();
    const order = await this.dataSource.transaction(async (m) => {
      await m.query(`UPDATE bills SET has_payments = true WHERE id = $1`, [bill.id]);
      const created = await this.orders.create(
        {
          userId,
          purpose: 'BILL_PAYMENT',
          purposeRef: id,
          provider: method,
          amount,
          currency: bill.currency.trim() as Currency,
          subject: `${biller.name} ${bill.customer_ref} ${bill.period}`.slice(0, 120),
        },
        m,
      );
      await m.query(
        `INSERT INTO bill_payments (id, bill_id, biller_id, payer_user_id, amount, currency, method, status, payment_order_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', $8)`,
        [id, bill.id, bill.biller_id, userId, amount.toString(), bill.currency.trim(), method, created.id],
      );
      return created;
    });
    const checkout = await this.orders.openCheckout(order);
    return withTransactionRetry(this.dataSource, async (m) => {
      const saved = paymentOrderView(await this.orders.saveCheckout(m, order.id, checkout));
      const [payment] = (await m.query(`SELECT * FROM bill_payments WHERE id = $1`, [id])) as PaymentRow[];
      const result: PayResult = { payment: toPaymentView(payment), bill: toBillView(await this.bills.bill(bill.id, m)), checkout: saved.checkout ?? undefined };
      await this.idempotency.record(m, result);
      return result;
    });
  }

  /**
   * The provider captured a bill payment: it lands on the bill if it still
   * fits (receipt, receivable, webhook); otherwise (paid by someone else
   * meanwhile) it is refused, so payments refunds it, and shows REFUNDED.
   */
  private async onCaptured(order: PaymentOrder, m: EntityManager): Promise<{ accept: true; account: LedgerAccount; kind: string; description: string } | { accept: false; reason: string }> {
    const [payment] = (await m.query(`SELECT * FROM bill_payments WHERE id = $1 FOR UPDATE`, [order.purposeRef])) as PaymentRow[];
    if (!payment || payment.status !== 'PENDING') return { accept: false, reason: 'The bill payment had already ended: refunded' };
    const [bill] = returnedRows<BillRowDb>(await m.query(APPLY_TO_BILL, [payment.bill_id, payment.amount]));
    if (!bill) {
      await m.query(`UPDATE bill_payments SET status = 'REFUNDED', ended_at = now(), failure_reason = $2 WHERE id = $1`, [
        payment.id,
        'The bill was paid meanwhile: this payment is refunded',
      ]);
      return { accept: false, reason: 'The bill was paid meanwhile: refunded' };
    }
    const [succeeded] = returnedRows<PaymentRow>(
      await m.query(`UPDATE bill_payments SET status = 'SUCCEEDED', receipt_no = ${RECEIPT_NO}, paid_at = now() WHERE id = $1 RETURNING *`, [payment.id]),
    );
    await this.webhooks.paymentSucceeded(m, bill, succeeded);
    return {
      accept: true,
      account: await this.receivable(bill.biller_id, order.currency, m),
      kind: 'BILL_PAYMENT',
      description: `Bill ${bill.customer_ref} ${bill.period}, receipt ${succeeded.receipt_no}`,
    };
  }

  /** The payment and its receipt, for its payer only (404 for anyone else). */
  async forPayer(userId: string, paymentId: string): Promise<BillPaymentView & { receipt: Receipt | null; failureReason?: string }> {
    const [row] = /^[0-9a-f-]{36}$/i.test(paymentId)
      ? ((await this.dataSource.query(
          `SELECT p.*, o.name AS biller_name, b.customer_ref, b.period FROM bill_payments p
             JOIN bills b ON b.id = p.bill_id JOIN organizations o ON o.id = p.biller_id
            WHERE p.id = $1 AND p.payer_user_id = $2`,
          [paymentId, userId],
        )) as (PaymentRow & { biller_name: string; customer_ref: string; period: string })[])
      : [];
    if (!row) throw new NotFoundError('No such payment');
    return {
      ...toPaymentView(row),
      ...(row.failure_reason ? { failureReason: row.failure_reason } : {}),
      receipt:
        row.status === 'SUCCEEDED'
          ? {
              receiptNo: row.receipt_no!,
              billerName: row.biller_name,
              customerRef: row.customer_ref,
              period: row.period,
              amount: Number(row.amount),
              currency: row.currency.trim() as Currency,
              paidAt: row.paid_at!.toISOString(),
            }
          : null,
    };
  }

  /**
   * Every succeeded payment of an Asia/Shanghai business day for a biller,
   * with count and total; the same rows the ledger credited to its
   * receivable that day (paid_at is the ledger entry's transaction time).
   */
  async settlement(billerId: string, date: string): Promise<{
    date: string;
    timeZone: 'Asia/Shanghai';
    count: number;
    total: { amount: number; currency: Currency };
    items: (BillPaymentView & { customerRef: string; period: string })[];
  }> {
    const biller = await this.bills.biller(billerId);
    const start = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00+08:00`) : new Date(NaN);
    if (Number.isNaN(start.getTime()) || new Date(start.getTime() + 8 * 3600_000).toISOString().slice(0, 10) !== date) {
      throw new ValidationFailedError([{ field: 'date', problems: ['date must be a calendar day, YYYY-MM-DD (Asia/Shanghai)'] }]);
    }
    const rows = (await this.dataSource.query(
      `SELECT p.*, b.customer_ref, b.period FROM bill_payments p JOIN bills b ON b.id = p.bill_id
        WHERE p.biller_id = $1 AND p.status = 'SUCCEEDED' AND p.paid_at >= $2 AND p.paid_at < $3
        ORDER BY p.paid_at, p.id`,
      [biller.id, start, new Date(start.getTime() + 24 * 3600_000)],
    )) as (PaymentRow & { customer_ref: string; period: string })[];
    const total = rows.reduce((sum, r) => sum + BigInt(r.amount), 0n);
    return {
      date,
      timeZone: 'Asia/Shanghai',
      count: rows.length,
      total: { amount: Number(total), currency: biller.currency },
      items: rows.map((r) => ({ ...toPaymentView(r), customerRef: r.customer_ref, period: r.period })),
    };
  }

  /** The auto-pay job: pays the bill from the wallet within the cap, once; records why not otherwise. */
  async runAutopay(attemptId: string): Promise<void> {
    const [attempt] = (await this.dataSource.query(
      `SELECT t.*, a.user_id, a.autopay_max_amount::text AS cap FROM autopay_attempts t JOIN biller_accounts a ON a.id = t.account_id WHERE t.id = $1`,
      [attemptId],
    )) as { id: string; status: string; bill_id: string; account_id: string; user_id: string; cap: string | null }[];
    if (!attempt || attempt.status !== 'PENDING') return;
    const fail = (reason: string) =>
      this.dataSource.query(`UPDATE autopay_attempts SET status = 'FAILED', reason = $2, updated_at = now() WHERE id = $1 AND status = 'PENDING'`, [attemptId, reason]);
    const bill = await this.bills.bill(attempt.bill_id);
    const outstanding = BigInt(bill.amount) - BigInt(bill.paid_amount);
    if (attempt.cap === null) return void (await fail('AUTOPAY_OFF'));
    if (outstanding <= 0n) return void (await fail('BILL_ALREADY_PAID'));
    if (outstanding > BigInt(attempt.cap)) return void (await fail(`CAP_EXCEEDED: ${outstanding} is above the cap ${attempt.cap}`));
    try {
      await withTransactionRetry(this.dataSource, async (m) => {
        // claimed first: whatever happens, this attempt pays at most once
        const claimed = returnedRows(
          await m.query(`UPDATE autopay_attempts SET status = 'PAID', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING 1`, [attemptId]),
        );
        if (claimed.length === 0) return;
        const result = await this.payFromWallet(m, attempt.user_id, bill.id, outstanding, attempt.account_id);
        await m.query(`UPDATE autopay_attempts SET payment_id = $2 WHERE id = $1`, [attemptId, result.payment.id]);
      });
    } catch (err) {
      if (err instanceof InsufficientFundsError) return void (await fail('INSUFFICIENT_FUNDS: the wallet is short'));
      if (err instanceof BillAlreadyPaidError || err instanceof OverpaymentError || err instanceof PartialNotAllowedError) return void (await fail(err.code));
      this.logger.error({ err, attemptId }, 'auto-pay failed; retried');
      throw err;
    }
  }
}
