import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotificationRejectedError } from '../provider/payment-provider.js';
import type { NotificationInput, NotificationReply, ProviderCode } from '../provider/payment-provider.js';
import { PaymentProviders } from '../provider/provider-registry.js';
import { PaymentOrdersRepository } from './payment-orders.repository.js';
import { PaymentTransitions } from './payment-transitions.service.js';
import { tradeMismatch } from './trade-check.js';

/** The intake of providers' payment notifications. */
@Injectable()
export class PaymentNotificationsService {
  private readonly logger = new Logger('PaymentOrders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: PaymentProviders,
    private readonly orders: PaymentOrdersRepository,
    private readonly transitions: PaymentTransitions,
  ) {}

  /**
   * A provider's notification: verified (signature, then merchant id,
   * amount and currency against the order), deduplicated by its id, applied
   * once. Returns the answer the provider expects; anything forged or
   * inconsistent changes nothing and is answered as not accepted.
   */
  async handle(code: ProviderCode, input: NotificationInput): Promise<NotificationReply> {
    const provider = await this.providers.get(code);
    let notification;
    try {
      notification = provider.parseNotification(input);
    } catch (err) {
      if (!(err instanceof NotificationRejectedError)) throw err;
      this.logger.warn(`${code} notification rejected: ${err.message}`);
      return provider.notificationReply(false);
    }
    const order = await this.orders.byTradeNo(this.dataSource.manager, code, notification.outTradeNo);
    if (!order) {
      this.logger.warn(`${code} notification ${notification.notificationId} names an unknown order ${notification.outTradeNo}`);
      return provider.notificationReply(false);
    }
    const mismatch = tradeMismatch(order, provider, notification, true);
    if (mismatch) {
      this.logger.warn({ orderId: order.id, notificationId: notification.notificationId }, `${code} notification refused: ${mismatch}`);
      return provider.notificationReply(false);
    }
    await this.transitions.apply(order, notification, 'NOTIFICATION', notification.notificationId);
    return provider.notificationReply(true);
  }
}
