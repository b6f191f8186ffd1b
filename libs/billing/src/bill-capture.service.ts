import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFoundError } from '@app/common';
import { LedgerService } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { PaymentPurposes } from '@app/payments';
import type { PaymentOrder } from '@app/payments';
import { BillNotices } from './bill-notices.service.js';
import { isAmountRefusal, REFUSAL } from './bill-payment.js';
import { BillPaymentsRepository } from './bill-payments.repository.js';
import type { BillRowDb } from './bills.service.js';
import { decideAmount } from './domain/amount-rule.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * The payment order hooks of a provider bill payment: captured (it lands on
 * the bill if it still fits: receipt, receivable, webhook, notification;
 * otherwise payments refunds it and it shows REFUNDED), ended unpaid
 * (FAILED), paid after it had ended (REFUNDED).
 */
@Injectable()
export class BillCaptureHook implements OnModuleInit {
  constructor(
    private readonly repository: BillPaymentsRepository,
    private readonly ledger: LedgerService,
    private readonly purposes: PaymentPurposes,
    private readonly webhooks: WebhooksService,
    private readonly notices: BillNotices,
  ) {}

  onModuleInit(): void {
    this.purposes.register('BILL_PAYMENT', {
      onCaptured: (order, m) => this.onCaptured(order, m),
      onEnded: async (order, m) => {
        if (order.purposeRef) await this.repository.markFailed(m, order.purposeRef, `payment ${order.status.toLowerCase()}`);
      },
      onReturned: async (order, m) => {
        if (order.purposeRef) await this.repository.markRefunded(m, order.purposeRef, 'Paid after the payment had ended: refunded', ['PENDING', 'FAILED']);
      },
    });
  }

  private async onCaptured(order: PaymentOrder, m: EntityManager): Promise<{ accept: true; account: LedgerAccount; kind: string; description: string } | { accept: false; reason: string }> {
    const payment = order.purposeRef ? await this.repository.find(m, order.purposeRef, { lock: true }) : undefined;
    if (!payment || payment.status !== 'PENDING') return { accept: false, reason: 'The bill payment had already ended: refunded' };
    let bill: BillRowDb | undefined;
    try {
      // the captured amount lands whole or not at all; a default amount never becomes an advance payment
      bill = await this.applyToBill(m, payment.bill_id, BigInt(payment.amount), { noAdvance: !payment.amount_explicit });
    } catch (err) {
      if (!isAmountRefusal(err)) throw err;
    }
    if (!bill) {
      await this.repository.markRefunded(m, payment.id, 'The bill was paid meanwhile: this payment is refunded', ['PENDING'], { ended: true });
      return { accept: false, reason: 'The bill was paid meanwhile: refunded' };
    }
    const succeeded = await this.repository.markSucceeded(m, payment.id);
    await this.webhooks.paymentSucceeded(m, bill, succeeded);
    await this.notices.billPaid(m, succeeded.id);
    return {
      accept: true,
      account: await this.ledger.account({ ownerType: 'ORGANIZATION', ownerId: bill.biller_id, purpose: 'RECEIVABLE', currency: order.currency, hot: true }, m),
      kind: 'BILL_PAYMENT',
      description: `Bill ${bill.customer_ref} ${bill.period}, receipt ${succeeded.receipt_no}`,
    };
  }

  /** The amount rules decided again on the locked bill; throws the rule's refusal, else lands `requested` on it. */
  private async applyToBill(m: EntityManager, billId: string, requested: bigint, options: { noAdvance: boolean }): Promise<BillRowDb> {
    const locked = await this.repository.lockBill(m, billId);
    if (!locked) throw new NotFoundError('No such bill');
    const outstanding = BigInt(locked.amount) - BigInt(locked.paid_amount);
    const decision = decideAmount(outstanding, requested, { allowsPartial: locked.biller_allows_partial, allowsAdvance: locked.biller_allows_advance && !options.noAdvance });
    if (!decision.ok) throw REFUSAL[decision.code](outstanding);
    return this.repository.addToBill(m, billId, decision.amount);
  }
}
