import { Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { GroupCommit, IdempotencyService, MetricsService, NotFoundError, WHEN_STALLED, UUID } from '@app/common';
import type { Currency } from '@app/common';
import { withRetry, withTransactionRetry } from '@app/database';
import { NotificationsService } from '@app/notifications';
import { PaymentOrdersService, paymentOrderView } from '@app/payments';
import type { ProviderCode } from '@app/payments';
import { REFUSAL, toPaymentView, walletRefusal } from './bill-payment.js';
import type { PaymentMethod, PayResult } from './bill-payment.js';
import { BillPaymentsRepository } from './bill-payments.repository.js';
import { BillsService, toBillView } from './bills.service.js';
import type { BillRowDb, Biller } from './bills.service.js';
import { decideAmount } from './domain/amount-rule.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * What may undo a set attempt of billing.pay_from_wallet_batch() without
 * anything being wrong: a payment's refusal (no such bill, already paid, an
 * amount its biller refuses, a short wallet, a lost claim), or losing a
 * deadlock or a serialization conflict, or a key that was there already
 * (IK100). Anything else is logged.
 */
const SET_REFUSALS = new Set(['BP404', 'BP409', 'BP422', 'LD402', 'IK409', 'IK100', '40P01', '40001']);

/**
 * Payments one statement of the wallet payments' group commit takes at most
 * (each a subtransaction when they go one by one, plus the set attempt: keep
 * it under 64, the subtransactions PostgreSQL caches per backend before every
 * snapshot has to read pg_subtrans; see campus's charges).
 */
const PAYMENTS_PER_STATEMENT = 24;

type WalletPayment = Parameters<BillPaymentsRepository['payFromWalletBatch']>[0][number];

/**
 * Paying a bill: from the wallet (settled at once, in one statement:
 * billing.pay_from_wallet) or through a provider (PENDING with a checkout;
 * settled by BillCaptureHook when the provider captures).
 */
@Injectable()
export class PayBillService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bills: BillsService,
    private readonly repository: BillPaymentsRepository,
    private readonly orders: PaymentOrdersService,
    private readonly idempotency: IdempotencyService,
    private readonly webhooks: WebhooksService,
    private readonly notifications: NotificationsService,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  private readonly logger = new Logger('PayBill');

  /** Payers' wallet payments, grouped: one statement and one commit for the payments that arrive while others run. */
  private readonly walletPayments = new GroupCommit<WalletPayment, { response: PayResult }>({
    // one at a time: on the 2-core bench (bench:payments, 32 payers over HTTP, where the API takes a core's
    // share) 789-886 payments/s, CPU per payment API 0.63-0.71 ms and PostgreSQL 0.96-1.08 ms, against
    // 737/s, 0.83 and 1.30 ms with two: the fewer statements, the more payments each one carries
    maxInFlight: 1,
    whenStalled: WHEN_STALLED,
    maxBatch: PAYMENTS_PER_STATEMENT,
    onBatch: (size) => this.metrics?.groupCommitBatch.observe({ statement: 'billing_pay_from_wallet' }, size),
    // by payer, then bill: two statements take the wallets they share in the same order
    lockOrder: (p) => `${p.payerId}/${p.billId}`,
    run: async (items, inEachContext) => {
      const { outcomes, path, setError } = await this.repository.payFromWalletBatch(items, inEachContext);
      this.metrics?.groupCommitPath.inc({ statement: 'billing_pay_from_wallet', path });
      if (setError && !SET_REFUSALS.has(setError.slice(0, 5))) {
        this.logger.warn({ setError, payments: items.length }, 'a batch of wallet payments could not go as one set; paid one by one');
      }
      return outcomes;
    },
  });

  async pay(userId: string, billId: string, input: { amount?: number; method: PaymentMethod }): Promise<PayResult> {
    const requested = input.amount === undefined ? undefined : BigInt(input.amount);
    if (input.method === 'WALLET') {
      if (!UUID.test(billId)) throw new NotFoundError('No such bill');
      return this.payWalletRequest(userId, billId, requested);
    }
    const bill = await this.bills.bill(billId);
    const biller = await this.bills.biller(bill.biller_id);
    // decided on the bill as read (quick refusals); decided again under the row lock when the money lands
    const amount = this.decide(bill, biller, requested);
    return this.payThroughProvider(userId, bill, biller, amount, requested !== undefined, input.method);
  }

  /**
   * A payer's wallet payment: one statement that claims the request's
   * idempotency key (a key already there answers IK100, and the
   * interceptor claims it the ordinary way, then calls here again with the
   * key held), pays, writes the biller's webhook event if it has one, and
   * stores the response, committing on its own: shared with the payments
   * that arrive while others run (the group commit, see walletPayments).
   */
  private async payWalletRequest(userId: string, billId: string, requested: bigint | undefined): Promise<PayResult> {
    const paymentId = randomUUID();
    const idempotency = this.idempotency.sqlRecord();
    let paid: Awaited<ReturnType<BillPaymentsRepository['payFromWallet']>>;
    try {
      paid = await withRetry(() => this.walletPayments.submit({ paymentId, billId, payerId: userId, requested, idempotency }));
    } catch (err) {
      throw walletRefusal(err);
    }
    this.idempotency.recordedInSql();
    // committed: BILL_PAID was written without a NOTIFY (billing.notify_bill_paid); wake the payer's streams now
    this.notifications.announce(userId);
    return paid.response;
  }

  /**
   * In the caller's transaction (auto-pay), one statement
   * (billing.pay_from_wallet, see its migrations): the bill under its row
   * lock and the amount rules, the payment and its receipt, wallet ->
   * receivable (402 when short), the BILL_PAID notification, the biller's
   * webhook event, the response. An amount the payer did not choose (the
   * default, auto-pay) is what is outstanding under the lock, never more.
   */
  async payFromWallet(m: EntityManager, userId: string, billId: string, requested: bigint | undefined, autopayAccountId?: string): Promise<PayResult> {
    let paid: Awaited<ReturnType<BillPaymentsRepository['payFromWallet']>>;
    try {
      paid = await this.repository.payFromWallet(m, { paymentId: randomUUID(), billId, payerId: userId, requested, autopayAccountId, idempotency: undefined });
    } catch (err) {
      throw walletRefusal(err);
    }
    await this.notifications.wakeAtCommit(m, userId);
    return paid.response;
  }

  /** The amount rules against the bill as read; the capture re-applies them under the bill's lock. */
  private decide(bill: BillRowDb, biller: Biller, requested: bigint | undefined): bigint {
    const outstanding = BigInt(bill.amount) - BigInt(bill.paid_amount);
    const decision = decideAmount(outstanding, requested, biller);
    if (!decision.ok) throw REFUSAL[decision.code](outstanding);
    return decision.amount;
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
      await this.repository.insertPending(m, {
        id,
        billId: bill.id,
        billerId: bill.biller_id,
        payerId: userId,
        amount,
        explicit,
        currency: bill.currency.trim(),
        method,
        orderId: created.id,
      });
      return created;
    });
    const checkout = await this.orders.openCheckout(order);
    return withTransactionRetry(this.dataSource, async (m) => {
      const saved = paymentOrderView(await this.orders.saveCheckout(m, order.id, checkout));
      const payment = (await this.repository.find(m, id))!;
      const result: PayResult = { payment: toPaymentView(payment), bill: toBillView(await this.bills.bill(bill.id, m)), checkout: saved.checkout ?? undefined };
      await this.idempotency.record(m, result);
      return result;
    });
  }
}
