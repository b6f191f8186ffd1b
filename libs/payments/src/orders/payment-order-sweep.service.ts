import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PaymentsConfig } from '../payments.config.js';
import type { PaymentProvider, ProviderTrade } from '../provider/payment-provider.js';
import { PaymentProviders } from '../provider/provider-registry.js';
import type { PaymentOrder } from './payment-order.js';
import { PaymentOrdersRepository } from './payment-orders.repository.js';
import { PaymentTransitions } from './payment-transitions.service.js';
import { tradeMismatch } from './trade-check.js';

/**
 * The query job: follows up silent orders with their provider, applies what
 * it says, and expires orders past their lifetime (closing the trade first).
 */
@Injectable()
export class PaymentOrderSweep {
  private readonly logger = new Logger('PaymentOrders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: PaymentProviders,
    private readonly orders: PaymentOrdersRepository,
    private readonly transitions: PaymentTransitions,
    @Inject(PaymentsConfig) private readonly config: PaymentsConfig,
  ) {}

  /**
   * Claims pending orders whose time to be queried has come (SKIP LOCKED,
   * so replicas share the work), asks each provider, applies what it says,
   * and expires orders past their lifetime. Returns how many orders it
   * looked at.
   */
  async sweep(limit = 100): Promise<number> {
    const claimed = await this.orders.claimDue(this.dataSource.manager, this.config.PAYMENT_QUERY_INTERVAL_MS, limit);
    const queue = [...claimed];
    const worker = async (): Promise<void> => {
      for (let order = queue.shift(); order; order = queue.shift()) {
        await this.follow(order).catch((err: unknown) => this.logger.error({ err, orderId: order.id }, 'following up a pending order failed'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, claimed.length) }, worker));
    return claimed.length;
  }

  /**
   * Queries one silent order; expires it when its lifetime is over and the
   * provider has not taken the money. An order expired while its provider
   * could not be reached stays watched (queried) for 48 hours,
   * so a payment made meanwhile is found and refunded even if its
   * notification never comes.
   */
  async follow(order: PaymentOrder): Promise<void> {
    const provider = await this.providers.get(order.provider);
    const trade = await this.askProvider(provider, order);
    if (order.status !== 'PENDING') {
      // watched after expiry: a capture is refunded (late capture); a definite answer ends the watch
      if (trade?.status === 'SUCCEEDED') await this.transitions.apply(order, trade, 'QUERY');
      else if (trade && trade.status !== 'PENDING') await this.transitions.endWatch(order.id);
      return;
    }
    if (trade && trade.status !== 'PENDING' && trade.status !== 'NOT_FOUND') {
      await this.transitions.apply(order, trade, 'QUERY');
      return;
    }
    if (order.expiresAt.getTime() > Date.now()) return;
    let closed: Awaited<ReturnType<PaymentProvider['closePayment']>> | undefined;
    try {
      closed = await provider.closePayment(order.outTradeNo);
    } catch (err) {
      this.logger.warn({ err, orderId: order.id }, `${order.provider} did not close the trade; the order expires and stays watched`);
    }
    if (closed === 'ALREADY_PAID') {
      const paid = await this.askProvider(provider, order);
      // the provider says paid: never expire on that; the next sweep asks again if the query did not confirm
      if (paid?.status === 'SUCCEEDED') await this.transitions.apply(order, paid, 'QUERY');
      return;
    }
    await this.transitions.endNow(order.id, 'EXPIRED', 'EXPIRY', 'not paid in time', closed === undefined);
  }

  /** A provider query, checked like a notification; undefined when the provider cannot say or says something inconsistent. */
  private async askProvider(provider: PaymentProvider, order: PaymentOrder): Promise<ProviderTrade | undefined> {
    try {
      const trade = await provider.queryPayment(order.outTradeNo);
      const mismatch = tradeMismatch(order, provider, trade, false);
      if (mismatch) {
        this.logger.error({ orderId: order.id }, `${order.provider} query of ${order.outTradeNo} is inconsistent: ${mismatch}`);
        return undefined;
      }
      return trade;
    } catch (err) {
      this.logger.warn({ err, orderId: order.id }, `${order.provider} query failed`);
      return undefined;
    }
  }
}
