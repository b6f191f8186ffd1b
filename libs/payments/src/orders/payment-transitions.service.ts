import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { withTransactionRetry } from '@app/database';
import { LedgerService } from '@app/ledger';
import { clearingPostings, suspenseAccount } from '../ledger-accounts.js';
import type { ProviderTrade } from '../provider/payment-provider.js';
import { RefundsService } from '../refunds/refunds.service.js';
import type { PaymentOrder, PaymentOrderStatus } from './payment-order.js';
import { type CompletionSource, PaymentOrdersRepository } from './payment-orders.repository.js';
import { PaymentPurposes } from './payment-purposes.js';

export type ApplyOutcome = 'APPLIED' | 'DUPLICATE' | 'NO_CHANGE';

/**
 * The state machine of payment orders: PENDING until a verified report
 * (notification or query) or the order's expiry says otherwise; every
 * transition is one conditional UPDATE, so it happens once whatever the
 * number, order and timing of notifications and queries, and the purpose
 * hears of it in the same transaction.
 */
@Injectable()
export class PaymentTransitions {
  private readonly logger = new Logger('PaymentOrders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly purposes: PaymentPurposes,
    private readonly refunds: RefundsService,
    private readonly orders: PaymentOrdersRepository,
  ) {}

  /** Applies a verified report (notification or query) once, in one transaction. */
  async apply(order: PaymentOrder, trade: ProviderTrade, source: CompletionSource, notificationId?: string): Promise<ApplyOutcome> {
    return withTransactionRetry(this.dataSource, async (m) => {
      if (notificationId !== undefined && !(await this.orders.recordNotification(m, order.provider, notificationId, order.id, trade.status))) {
        return 'DUPLICATE';
      }
      switch (trade.status) {
        case 'SUCCEEDED':
          return this.capture(m, order.id, trade, source);
        case 'FAILED':
          return this.end(m, order.id, 'FAILED', source, 'the payment failed at the provider');
        case 'CLOSED':
          // closed before its time is a failure (Alipay closes a trade whose payment failed); after, an expiry
          return order.expiresAt.getTime() <= Date.now()
            ? this.end(m, order.id, 'EXPIRED', source, 'closed at the provider')
            : this.end(m, order.id, 'FAILED', source, 'closed at the provider before it was paid');
        default:
          return 'NO_CHANGE';
      }
    });
  }

  /** PENDING -> FAILED or EXPIRED, once, in its own transaction. */
  endNow(
    orderId: string,
    status: Exclude<PaymentOrderStatus, 'PENDING' | 'SUCCEEDED'>,
    source: CompletionSource,
    reason: string,
    watch = false,
  ): Promise<ApplyOutcome> {
    return withTransactionRetry(this.dataSource, (m) => this.end(m, orderId, status, source, reason, watch));
  }

  /** Ends the watch of an expired order once its provider gave a definite answer. */
  async endWatch(orderId: string): Promise<void> {
    await this.orders.endWatch(this.dataSource.manager, orderId);
  }

  /**
   * The money was captured. PENDING -> SUCCEEDED once, posted to the target
   * the purpose chooses; captured money that cannot be applied (the order
   * already ended, or the purpose refuses it) is marked captured once, held
   * in the suspense account and refunded to the payer.
   */
  private async capture(m: EntityManager, orderId: string, trade: ProviderTrade, source: CompletionSource): Promise<ApplyOutcome> {
    const paidAt = trade.paidAt ?? new Date();
    const won = await this.orders.captureIfPending(m, orderId, source, paidAt, trade.providerTradeId ?? null);
    if (won) {
      const decision = await this.purposes.get(won.purpose).onCaptured(won, m);
      if (decision.accept) {
        await this.postCapture(m, won, decision.account.id, decision.kind, decision.description);
      } else {
        await this.returnToPayer(m, won, decision.reason);
      }
      return 'APPLIED';
    }
    const order = await this.orders.markLateCapture(m, orderId, paidAt, trade.providerTradeId ?? null);
    if (!order) return 'NO_CHANGE';
    this.logger.warn({ orderId }, `${order.provider} captured order ${order.id} after it ended ${order.status}: refunding the payer`);
    await this.returnToPayer(m, order, `Paid after the order ended (${order.status.toLowerCase()}): refunded`);
    await this.purposes.get(order.purpose).onReturned?.(order, m);
    return 'APPLIED';
  }

  private async postCapture(m: EntityManager, order: PaymentOrder, accountId: string, kind: string, description: string): Promise<void> {
    await this.ledger.post(
      {
        reference: `payment-order:${order.id}:capture`,
        kind,
        description,
        metadata: { orderId: order.id, provider: order.provider, purpose: order.purpose, fxRate: order.fx?.rate },
        postings: await clearingPostings(this.ledger, order, accountId, order.amount, order.providerAmount, m),
      },
      m,
    );
  }

  private async returnToPayer(m: EntityManager, order: PaymentOrder, reason: string): Promise<void> {
    const suspense = await suspenseAccount(this.ledger, order.currency, m);
    await this.postCapture(m, order, suspense.id, 'PAYMENT_TO_RETURN', reason);
    await this.refunds.request(m, { orderId: order.id, amount: order.amount, reason, requestKey: 'return-to-payer', source: suspense });
  }

  /** PENDING -> FAILED or EXPIRED, once; the purpose hears of it in the same transaction. */
  private async end(
    m: EntityManager,
    orderId: string,
    status: Exclude<PaymentOrderStatus, 'PENDING' | 'SUCCEEDED'>,
    source: CompletionSource,
    reason: string,
    watch = false,
  ): Promise<ApplyOutcome> {
    const order = await this.orders.endIfPending(m, orderId, status, source, reason, watch);
    if (!order) return 'NO_CHANGE';
    await this.purposes.get(order.purpose).onEnded?.(order, m);
    return 'APPLIED';
  }
}
