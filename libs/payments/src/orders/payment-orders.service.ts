import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { MAX_PAYMENT_MINOR, NotFoundError, UUID } from '@app/common';
import type { Currency } from '@app/common';
import { PaymentsConfig } from '../payments.config.js';
import { convertUp } from '../domain/fx.js';
import type { FxRates } from '../domain/fx.js';
import { CurrencyNotSupportedError, ProviderUnavailableError } from '../payments.errors.js';
import type { Checkout, ProviderCode } from '../provider/payment-provider.js';
import { PlatformAddress } from '../provider/platform-address.js';
import { PaymentProviders } from '../provider/provider-registry.js';
import type { PaymentOrder } from './payment-order.js';
import { PaymentOrdersRepository } from './payment-orders.repository.js';
import { PaymentTransitions } from './payment-transitions.service.js';

export const FX_RATES = Symbol('FX_RATES');

export interface NewPaymentOrder {
  userId: string;
  purpose: string;
  purposeRef?: string;
  provider: ProviderCode;
  /** What the payer is charged, in `currency` (converted when the provider takes another currency). */
  amount: bigint;
  currency: Currency;
  subject: string;
}

/**
 * Payment orders as the purposes (top-ups, bills, campus cards) open them:
 * reserve the order (PENDING, in the caller's transaction), open the trade at
 * the provider outside any transaction, store the checkout. What happens to
 * an order afterwards is PaymentTransitions' (notifications: the
 * PaymentNotificationsService; silent orders: the PaymentOrderSweep).
 */
@Injectable()
export class PaymentOrdersService {
  private readonly logger = new Logger('PaymentOrders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: PaymentProviders,
    private readonly address: PlatformAddress,
    private readonly orders: PaymentOrdersRepository,
    private readonly transitions: PaymentTransitions,
    @Inject(PaymentsConfig) private readonly config: PaymentsConfig,
    @Inject(FX_RATES) private readonly fx: FxRates,
  ) {}

  /** Reserves the order (PENDING), in the caller's transaction when given. Converts to the provider's currency at the configured rate. */
  async create(input: NewPaymentOrder, manager: EntityManager = this.dataSource.manager): Promise<PaymentOrder> {
    const provider = await this.providers.get(input.provider);
    let providerAmount = input.amount;
    let quote: { rate: string; source: string; asOf: Date } | undefined;
    if (provider.currency !== input.currency) {
      quote = this.fx.quote(input.currency, provider.currency);
      if (!quote) throw new CurrencyNotSupportedError(input.currency, input.provider);
      providerAmount = convertUp(input.amount, quote.rate);
      if (providerAmount > MAX_PAYMENT_MINOR) throw new CurrencyNotSupportedError(input.currency, input.provider);
    }
    const id = randomUUID();
    return this.orders.insert(manager, {
      id,
      outTradeNo: id.replace(/-/g, ''),
      userId: input.userId,
      purpose: input.purpose,
      purposeRef: input.purposeRef ?? null,
      provider: input.provider,
      merchantId: provider.merchantId,
      amount: input.amount,
      currency: input.currency,
      providerAmount,
      providerCurrency: provider.currency,
      fx: quote,
      subject: input.subject,
      ttlMs: this.config.PAYMENT_ORDER_TTL_MS,
      queryAfterMs: this.config.PAYMENT_QUERY_INTERVAL_MS,
    });
  }

  /**
   * Opens the trade at the provider (outside any transaction). If the
   * provider cannot be reached or refuses, the order fails (nothing can have
   * been paid without a checkout) and the caller gets 502 PROVIDER_UNAVAILABLE.
   */
  async openCheckout(order: PaymentOrder): Promise<Checkout> {
    const provider = await this.providers.get(order.provider);
    try {
      return await provider.createPayment({
        outTradeNo: order.outTradeNo,
        amount: order.providerAmount,
        currency: order.providerCurrency,
        subject: order.subject,
        notifyUrl: this.address.notifyUrl(order.provider),
        expiresAt: order.expiresAt,
      });
    } catch (err) {
      this.logger.warn({ err, orderId: order.id }, `${order.provider} did not open the trade; the order fails`);
      await this.transitions.endNow(order.id, 'FAILED', 'PROVIDER_ERROR', 'the provider did not open the trade');
      throw new ProviderUnavailableError(order.provider);
    }
  }

  /** Stores the checkout on the order, in the caller's transaction (with its idempotent response). */
  saveCheckout(m: EntityManager, orderId: string, checkout: Checkout): Promise<PaymentOrder> {
    return this.orders.saveCheckout(m, orderId, {
      providerTradeId: checkout.providerTradeId,
      qrPayload: checkout.qrPayload ?? null,
      redirectUrl: checkout.redirectUrl ?? null,
    });
  }

  get(id: string, manager: EntityManager = this.dataSource.manager): Promise<PaymentOrder | undefined> {
    return this.orders.byId(manager, id);
  }

  /** The order if this user owns it; 404 otherwise (existence is not disclosed). */
  async getOwned(id: string, userId: string): Promise<PaymentOrder> {
    const order = UUID.test(id) ? await this.get(id) : undefined;
    if (!order || order.userId !== userId) throw new NotFoundError('No such payment order');
    return order;
  }
}
