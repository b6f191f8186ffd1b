import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { IdempotencyService, NotFoundError, shanghaiDay, shanghaiDayRange, UUID, ValidationFailedError } from '@app/common';
import type { Currency } from '@app/common';
import { returnedRows, sqlState, withTransactionRetry } from '@app/database';
import { InsufficientFundsError, LedgerService } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { PaymentOrdersService, PaymentPurposes, paymentOrderView } from '@app/payments';
import type { PaymentOrder, ProviderCode } from '@app/payments';
import { BillNotices } from './bill-notices.service.js';
import { BillAlreadyPaidError, OverpaymentError, PartialNotAllowedError } from './billing.errors.js';
import { BillsService, toBillView } from './bills.service.js';
import type { BillRowDb, BillView, Biller } from './bills.service.js';
import { decideAmount } from './domain/amount-rule.js';
import { WebhooksService } from './webhooks.service.js';
import { MAX_SETTLEMENT_RANGE_DAYS } from './dto/billing.dto.js';

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

/** The refusals of billing.pay_from_wallet() (SQLSTATEs of the pay-from-wallet migration) as the API's errors. */
function walletRefusal(err: unknown): Error {
  const e = err as { message?: string; detail?: string; driverError?: { message?: string; detail?: string } };
  const message = e.driverError?.message ?? e.message;
  const outstanding = BigInt(e.driverError?.detail ?? e.detail ?? '0');
  switch (sqlState(err)) {
    case 'BP404':
      return new NotFoundError('No such bill');
    case 'BP409':
      return REFUSAL.BILL_ALREADY_PAID();
    case 'BP422':
      return message === 'OVERPAYMENT' ? REFUSAL.OVERPAYMENT(outstanding) : REFUSAL.PARTIAL_NOT_ALLOWED(outstanding);
    case 'LD402':
      return new InsufficientFundsError();
    default:
      return err as Error;
  }
}

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
    private readonly orders: PaymentOrdersService,
    private readonly purposes: PaymentPurposes,
    private readonly idempotency: IdempotencyService,
    private readonly webhooks: WebhooksService,
    private readonly notices: BillNotices,
  ) {}

  onModuleInit(): void {
    this.purposes.register('BILL_PAYMENT', {
      onCaptured: (order, m) => this.onCaptured(order, m),
      onEnded: async (order, m) => {
        await m.query(`UPDATE billing.bill_payments SET status = 'FAILED', ended_at = now(), failure_reason = $2 WHERE id = $1 AND status = 'PENDING'`, [
          order.purposeRef,
          `payment ${order.status.toLowerCase()}`,
        ]);
      },
      onReturned: async (order, m) => {
        await m.query(`UPDATE billing.bill_payments SET status = 'REFUNDED', failure_reason = $2 WHERE id = $1 AND status IN ('PENDING', 'FAILED')`, [
          order.purposeRef,
          'Paid after the payment had ended: refunded',
        ]);
      },
    });
  }

  receivable(billerId: string, currency: Currency, m: EntityManager): Promise<LedgerAccount> {
    return this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: billerId, purpose: 'RECEIVABLE', currency, hot: true }, m);
  }

  async pay(userId: string, billId: string, input: { amount?: number; method: PaymentMethod }): Promise<PayResult> {
    const requested = input.amount === undefined ? undefined : BigInt(input.amount);
    if (input.method === 'WALLET') {
      if (!UUID.test(billId)) throw new NotFoundError('No such bill');
      // round trips: the idempotency claim (before), BEGIN, the payment, the stored response, COMMIT
      return withTransactionRetry(this.dataSource, async (m) => {
        const result = await this.payFromWallet(m, userId, billId, requested);
        await this.idempotency.record(m, result);
        return result;
      });
    }
    const bill = await this.bills.bill(billId);
    const biller = await this.bills.biller(bill.biller_id);
    // decided on the bill as read (quick refusals); decided again under the row lock when the money lands
    const amount = this.decide(bill, biller, requested);
    return this.payThroughProvider(userId, bill, biller, amount, requested !== undefined, input.method);
  }

  /** The amount rules against the bill as read; the conditional update re-applies them when the money lands. */
  private decide(bill: BillRowDb, biller: Biller, requested: bigint | undefined): bigint {
    const outstanding = BigInt(bill.amount) - BigInt(bill.paid_amount);
    const decision = decideAmount(outstanding, requested, biller);
    if (!decision.ok) throw REFUSAL[decision.code](outstanding);
    return decision.amount;
  }

  /**
   * Lands a payment on the bill under its row lock: the amount rules are
   * decided again on the locked row, and an amount the payer did not choose
   * (the default, auto-pay) is what is outstanding now, never more. Throws
   * the rule's refusal; returns the updated bill and the amount applied.
   */
  private async applyToBill(m: EntityManager, billId: string, requested: bigint | undefined, options: { noAdvance?: boolean } = {}): Promise<{ bill: BillRowDb; amount: bigint }> {
    const [locked] = (await m.query(
      `SELECT b.*, b.due_date::text AS due_date, r.allows_partial AS biller_allows_partial, r.allows_advance AS biller_allows_advance
         FROM billing.bills b JOIN billing.billers r ON r.organization_id = b.biller_id WHERE b.id = $1 FOR UPDATE OF b`,
      [billId],
    )) as (BillRowDb & { biller_allows_partial: boolean; biller_allows_advance: boolean })[];
    if (!locked) throw new NotFoundError('No such bill');
    const outstanding = BigInt(locked.amount) - BigInt(locked.paid_amount);
    const rules = { allowsPartial: locked.biller_allows_partial, allowsAdvance: locked.biller_allows_advance && !options.noAdvance };
    const decision = decideAmount(outstanding, requested, rules);
    if (!decision.ok) throw REFUSAL[decision.code](outstanding);
    const [bill] = returnedRows<BillRowDb>(
      await m.query(
        `UPDATE billing.bills SET paid_amount = paid_amount + $2, has_payments = true, updated_at = now() WHERE id = $1
         RETURNING *, due_date::text AS due_date`,
        [billId, decision.amount.toString()],
      ),
    );
    return { bill, amount: decision.amount };
  }

  /**
   * In the caller's transaction, one statement (billing.pay_from_wallet, see
   * its migration): the bill under its row lock and the amount rules, the
   * payment and its receipt, wallet -> receivable (402 when short), the
   * BILL_PAID notification; then the webhook outbox if the biller has one.
   */
  async payFromWallet(m: EntityManager, userId: string, billId: string, requested: bigint | undefined, autopayAccountId?: string): Promise<PayResult> {
    let row: { bill: BillRowDb; payment: Omit<PaymentRow, 'created_at' | 'paid_at'> & { created_at: string; paid_at: string }; has_webhook: boolean };
    try {
      [row] = (await m.query(`SELECT bill, payment, has_webhook FROM billing.pay_from_wallet($1, $2, $3, $4, $5)`, [
        randomUUID(),
        billId,
        userId,
        requested?.toString() ?? null,
        autopayAccountId ?? null,
      ])) as (typeof row)[];
    } catch (err) {
      throw walletRefusal(err);
    }
    const bill: BillRowDb = { ...row.bill, amount: String(row.bill.amount), paid_amount: String(row.bill.paid_amount) };
    const payment: PaymentRow = { ...row.payment, amount: String(row.payment.amount), created_at: new Date(row.payment.created_at), paid_at: new Date(row.payment.paid_at) };
    if (row.has_webhook) await this.webhooks.paymentSucceeded(m, bill, payment);
    return { payment: toPaymentView(payment), bill: toBillView(bill) };
  }

  private async payThroughProvider(userId: string, bill: BillRowDb, biller: Biller, amount: bigint, explicit: boolean, method: ProviderCode): Promise<PayResult> {
    const id = randomUUID();
    const order = await this.dataSource.transaction(async (m) => {
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
        `INSERT INTO billing.bill_payments (id, bill_id, biller_id, payer_user_id, amount, amount_explicit, currency, method, status, payment_order_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9)`,
        [id, bill.id, bill.biller_id, userId, amount.toString(), explicit, bill.currency.trim(), method, created.id],
      );
      return created;
    });
    const checkout = await this.orders.openCheckout(order);
    return withTransactionRetry(this.dataSource, async (m) => {
      const saved = paymentOrderView(await this.orders.saveCheckout(m, order.id, checkout));
      const [payment] = (await m.query(`SELECT * FROM billing.bill_payments WHERE id = $1`, [id])) as PaymentRow[];
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
    const [payment] = (await m.query(`SELECT * FROM billing.bill_payments WHERE id = $1 FOR UPDATE`, [order.purposeRef])) as (PaymentRow & { amount_explicit: boolean })[];
    if (!payment || payment.status !== 'PENDING') return { accept: false, reason: 'The bill payment had already ended: refunded' };
    let bill: BillRowDb | undefined;
    try {
      // the captured amount lands whole or not at all; a default amount never becomes an advance payment
      bill = (await this.applyToBill(m, payment.bill_id, BigInt(payment.amount), { noAdvance: !payment.amount_explicit })).bill;
    } catch (err) {
      if (!(err instanceof BillAlreadyPaidError || err instanceof OverpaymentError || err instanceof PartialNotAllowedError)) throw err;
    }
    if (!bill) {
      await m.query(`UPDATE billing.bill_payments SET status = 'REFUNDED', ended_at = now(), failure_reason = $2 WHERE id = $1`, [
        payment.id,
        'The bill was paid meanwhile: this payment is refunded',
      ]);
      return { accept: false, reason: 'The bill was paid meanwhile: refunded' };
    }
    const [succeeded] = returnedRows<PaymentRow>(
      await m.query(`UPDATE billing.bill_payments SET status = 'SUCCEEDED', receipt_no = billing.next_receipt_no(), paid_at = now() WHERE id = $1 RETURNING *`, [payment.id]),
    );
    await this.webhooks.paymentSucceeded(m, bill, succeeded);
    await this.notices.billPaid(m, succeeded.id);
    return {
      accept: true,
      account: await this.receivable(bill.biller_id, order.currency, m),
      kind: 'BILL_PAYMENT',
      description: `Bill ${bill.customer_ref} ${bill.period}, receipt ${succeeded.receipt_no}`,
    };
  }

  /** The payment and its receipt, for its payer only (404 for anyone else). */
  async billPaymentOfPayer(userId: string, paymentId: string): Promise<BillPaymentView & { receipt: Receipt | null; failureReason?: string }> {
    const [row] = UUID.test(paymentId)
      ? ((await this.dataSource.query(
          `SELECT p.*, b.customer_ref, b.period FROM billing.bill_payments p
             JOIN billing.bills b ON b.id = p.bill_id
            WHERE p.id = $1 AND p.payer_user_id = $2`,
          [paymentId, userId],
        )) as (PaymentRow & { customer_ref: string; period: string })[])
      : [];
    if (!row) throw new NotFoundError('No such payment');
    const biller = await this.bills.biller(row.biller_id);
    return {
      ...toPaymentView(row),
      ...(row.failure_reason ? { failureReason: row.failure_reason } : {}),
      receipt:
        row.status === 'SUCCEEDED'
          ? {
              receiptNo: row.receipt_no!,
              billerName: biller.name,
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
    const { start, end } = shanghaiDayRange(date);
    const rows = (await this.dataSource.query(
      `SELECT p.*, b.customer_ref, b.period FROM billing.bill_payments p JOIN billing.bills b ON b.id = p.bill_id
        WHERE p.biller_id = $1 AND p.status = 'SUCCEEDED' AND p.paid_at >= $2 AND p.paid_at < $3
        ORDER BY p.paid_at, p.id`,
      [biller.id, start, end],
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

  /**
   * Daily settlement totals over [from, to] (Asia/Shanghai days, both
   * included, at most MAX_SETTLEMENT_RANGE_DAYS): one row per day, zero days
   * too, each equal to what `settlement(date)` counts for that day.
   */
  async dailySettlements(billerId: string, from: string, to: string): Promise<{
    from: string;
    to: string;
    timeZone: 'Asia/Shanghai';
    currency: Currency;
    days: { date: string; count: number; total: { amount: number; currency: Currency } }[];
  }> {
    const { start } = shanghaiDayRange(from, 'from');
    const { end } = shanghaiDayRange(to, 'to');
    const dayCount = Math.round((end.getTime() - start.getTime()) / 86_400_000);
    if (dayCount < 1) throw new ValidationFailedError([{ field: 'to', problems: ['to must not be before from'] }]);
    if (dayCount > MAX_SETTLEMENT_RANGE_DAYS) {
      throw new ValidationFailedError([{ field: 'to', problems: [`a range spans at most ${MAX_SETTLEMENT_RANGE_DAYS} days`] }]);
    }
    const biller = await this.bills.biller(billerId);
    const rows = (await this.dataSource.query(
      `SELECT to_char(p.paid_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, count(*)::int AS count, sum(p.amount)::text AS total
         FROM billing.bill_payments p
        WHERE p.biller_id = $1 AND p.status = 'SUCCEEDED' AND p.paid_at >= $2 AND p.paid_at < $3
        GROUP BY 1`,
      [biller.id, start, end],
    )) as { day: string; count: number; total: string }[];
    const byDay = new Map(rows.map((r) => [r.day, r]));
    const days = Array.from({ length: dayCount }, (_, i) => {
      const date = shanghaiDay(new Date(start.getTime() + i * 86_400_000));
      const row = byDay.get(date);
      return { date, count: row?.count ?? 0, total: { amount: Number(row ? BigInt(row.total) : 0n), currency: biller.currency } };
    });
    return { from, to, timeZone: 'Asia/Shanghai', currency: biller.currency, days };
  }

  /**
   * The auto-pay job: pays the bill's outstanding amount from the wallet if
   * within the account's cap, once; records why not otherwise. The attempt
   * is claimed, the cap read and the bill locked in the paying transaction,
   * so a cap change or another payment in between is seen. `final`: the
   * job's last try, after which an unexpected error is recorded too.
   */
  async runAutopay(attemptId: string, final = false): Promise<void> {
    // the failure and the citizen's AUTO_PAY_FAILED notification, in one transaction
    const fail = (reason: string) => this.notices.autopayFailed(attemptId, reason);
    try {
      await withTransactionRetry(this.dataSource, async (m) => {
        // claimed first: whatever happens, this attempt pays at most once
        const [attempt] = returnedRows<{ bill_id: string; account_id: string }>(
          await m.query(`UPDATE billing.autopay_attempts SET status = 'PAID', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING bill_id, account_id`, [attemptId]),
        );
        if (!attempt) return;
        const [account] = (await m.query(`SELECT user_id, autopay_max_amount::text AS cap FROM billing.biller_accounts WHERE id = $1 FOR SHARE`, [attempt.account_id])) as {
          user_id: string;
          cap: string | null;
        }[];
        const [bill] = (await m.query(`SELECT amount::text, paid_amount::text FROM billing.bills WHERE id = $1 FOR UPDATE`, [attempt.bill_id])) as { amount: string; paid_amount: string }[];
        const outstanding = BigInt(bill.amount) - BigInt(bill.paid_amount);
        if (account.cap === null) throw new AutopayRefusal('AUTOPAY_OFF');
        if (outstanding > BigInt(account.cap)) throw new AutopayRefusal(`CAP_EXCEEDED: ${outstanding} is above the cap ${account.cap}`);
        const result = await this.payFromWallet(m, account.user_id, attempt.bill_id, undefined, attempt.account_id);
        await m.query(`UPDATE billing.autopay_attempts SET payment_id = $2 WHERE id = $1`, [attemptId, result.payment.id]);
      });
    } catch (err) {
      if (err instanceof AutopayRefusal) return void (await fail(err.message));
      if (err instanceof InsufficientFundsError) return void (await fail('INSUFFICIENT_FUNDS: the wallet is short'));
      if (err instanceof BillAlreadyPaidError || err instanceof OverpaymentError || err instanceof PartialNotAllowedError) return void (await fail(err.code));
      if (final) {
        await fail('ERROR: auto-pay could not run; pay this bill yourself');
        this.logger.error({ err, attemptId }, 'auto-pay failed for good');
        return;
      }
      this.logger.error({ err, attemptId }, 'auto-pay failed; retried');
      throw err;
    }
  }
}

/** Why auto-pay did not pay (recorded on the attempt, visible to the citizen). */
class AutopayRefusal extends Error {}
