import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { MAX_PAYMENT_MINOR, NotFoundError, UUID } from '@app/common';
import type { Currency } from '@app/common';
import { PaymentsConfig } from '../payments.config.js';
import { returnedRows, withTransactionRetry } from '@app/database';
import { LedgerService } from '@app/ledger';
import { convertUp } from '../domain/fx.js';
import type { FxRates } from '../domain/fx.js';
import { clearingPostings, suspenseAccount } from '../ledger-accounts.js';
import { CurrencyNotSupportedError, ProviderUnavailableError } from '../payments.errors.js';
import { NotificationRejectedError } from '../provider/payment-provider.js';
import type {
  Checkout,
  NotificationInput,
  NotificationReply,
  PaymentProvider,
  ProviderCode,
  ProviderTrade,
} from '../provider/payment-provider.js';
import { PlatformAddress } from '../provider/platform-address.js';
import { PaymentProviders } from '../provider/provider-registry.js';
import { RefundsService } from '../refunds/refunds.service.js';
import { toOrder } from './payment-order.js';
import type { PaymentOrder, PaymentOrderRow, PaymentOrderStatus } from './payment-order.js';
import { PaymentPurposes } from './payment-purposes.js';

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

type Source = 'NOTIFICATION' | 'QUERY' | 'EXPIRY' | 'PROVIDER_ERROR';
export type ApplyOutcome = 'APPLIED' | 'DUPLICATE' | 'NO_CHANGE';

/**
 * Payment orders: the platform's record of a provider payment. An order is
 * PENDING until a verified notification or the platform's own query says
 * otherwise; every transition is one conditional UPDATE, so it happens
 * once whatever the number, order and timing of notifications and queries.
 * Providers are never called inside a database transaction: reserve (tx),
 * call, settle (tx).
 */
@Injectable()
export class PaymentOrdersService {
  private readonly logger = new Logger('PaymentOrders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly providers: PaymentProviders,
    private readonly purposes: PaymentPurposes,
    private readonly refunds: RefundsService,
    private readonly address: PlatformAddress,
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
    const [row] = (await manager.query(
      `INSERT INTO payments.payment_orders (id, out_trade_no, user_id, purpose, purpose_ref, provider, merchant_id, amount, currency,
                                   provider_amount, provider_currency, fx_rate, fx_source, fx_as_of, subject, expires_at, next_query_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
               now() + $16 * interval '1 millisecond', now() + $17 * interval '1 millisecond')
       RETURNING *`,
      [
        id,
        id.replace(/-/g, ''),
        input.userId,
        input.purpose,
        input.purposeRef ?? null,
        input.provider,
        provider.merchantId,
        input.amount.toString(),
        input.currency,
        providerAmount.toString(),
        provider.currency,
        quote?.rate ?? null,
        quote?.source ?? null,
        quote?.asOf ?? null,
        input.subject,
        this.config.PAYMENT_ORDER_TTL_MS,
        this.config.PAYMENT_QUERY_INTERVAL_MS,
      ],
    )) as PaymentOrderRow[];
    return toOrder(row);
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
      await withTransactionRetry(this.dataSource, (m) => this.end(m, order.id, 'FAILED', 'PROVIDER_ERROR', 'the provider did not open the trade'));
      throw new ProviderUnavailableError(order.provider);
    }
  }

  /** Stores the checkout on the order, in the caller's transaction (with its idempotent response). */
  async saveCheckout(m: EntityManager, orderId: string, checkout: Checkout): Promise<PaymentOrder> {
    const [row] = returnedRows<PaymentOrderRow>(
      await m.query(
        `UPDATE payments.payment_orders SET provider_trade_id = COALESCE(provider_trade_id, $2), qr_payload = $3, redirect_url = $4 WHERE id = $1 RETURNING *`,
        [orderId, checkout.providerTradeId, checkout.qrPayload ?? null, checkout.redirectUrl ?? null],
      ),
    );
    return toOrder(row);
  }

  async get(id: string, manager: EntityManager = this.dataSource.manager): Promise<PaymentOrder | undefined> {
    const [row] = (await manager.query(`SELECT * FROM payments.payment_orders WHERE id = $1`, [id])) as PaymentOrderRow[];
    return row ? toOrder(row) : undefined;
  }

  /** The order if this user owns it; 404 otherwise (existence is not disclosed). */
  async getOwned(id: string, userId: string): Promise<PaymentOrder> {
    const order = UUID.test(id) ? await this.get(id) : undefined;
    if (!order || order.userId !== userId) throw new NotFoundError('No such payment order');
    return order;
  }

  /**
   * A provider's notification: verified (signature, then merchant id,
   * amount and currency against the order), deduplicated by its id, applied
   * once. Returns the answer the provider expects; anything forged or
   * inconsistent changes nothing and is answered as not accepted.
   */
  async handleNotification(code: ProviderCode, input: NotificationInput): Promise<NotificationReply> {
    const provider = await this.providers.get(code);
    let notification;
    try {
      notification = provider.parseNotification(input);
    } catch (err) {
      if (!(err instanceof NotificationRejectedError)) throw err;
      this.logger.warn(`${code} notification rejected: ${err.message}`);
      return provider.notificationReply(false);
    }
    const [row] = (await this.dataSource.query(`SELECT * FROM payments.payment_orders WHERE out_trade_no = $1 AND provider = $2`, [
      notification.outTradeNo,
      code,
    ])) as PaymentOrderRow[];
    if (!row) {
      this.logger.warn(`${code} notification ${notification.notificationId} names an unknown order ${notification.outTradeNo}`);
      return provider.notificationReply(false);
    }
    const order = toOrder(row);
    const mismatch = this.mismatch(order, provider, notification, true);
    if (mismatch) {
      this.logger.warn({ orderId: order.id, notificationId: notification.notificationId }, `${code} notification refused: ${mismatch}`);
      return provider.notificationReply(false);
    }
    await this.apply(order, notification, 'NOTIFICATION', notification.notificationId);
    return provider.notificationReply(true);
  }

  /** Why a provider's report cannot be about this order, or undefined when it matches. */
  private mismatch(order: PaymentOrder, provider: PaymentProvider, trade: ProviderTrade, requireMerchant: boolean): string | undefined {
    if ((requireMerchant || trade.merchantId !== undefined) && trade.merchantId !== provider.merchantId) {
      return `merchant id ${trade.merchantId ?? '(none)'} is not ours`;
    }
    if (trade.status === 'SUCCEEDED') {
      if (trade.amount === undefined || trade.amount !== order.providerAmount) return `amount ${trade.amount} differs from the order's ${order.providerAmount}`;
      if (trade.currency !== undefined && trade.currency !== order.providerCurrency) return `currency ${trade.currency} is not the order's ${order.providerCurrency}`;
    }
    return undefined;
  }

  /** Applies a verified report (notification or query) once, in one transaction. */
  async apply(order: PaymentOrder, trade: ProviderTrade, source: Source, notificationId?: string): Promise<ApplyOutcome> {
    return withTransactionRetry(this.dataSource, async (m) => {
      if (notificationId !== undefined) {
        const fresh = (await m.query(
          `INSERT INTO payments.payment_notifications (provider, notification_id, order_id, outcome) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING 1`,
          [order.provider, notificationId, order.id, trade.status],
        )) as unknown[];
        if (fresh.length === 0) return 'DUPLICATE';
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

  /**
   * The money was captured. PENDING -> SUCCEEDED once, posted to the target
   * the purpose chooses; captured money that cannot be applied (the order
   * already ended, or the purpose refuses it) is marked captured once, held
   * in the suspense account and refunded to the payer.
   */
  private async capture(m: EntityManager, orderId: string, trade: ProviderTrade, source: Source): Promise<ApplyOutcome> {
    const paidAt = trade.paidAt ?? new Date();
    const [won] = returnedRows<PaymentOrderRow>(
      await m.query(
        `UPDATE payments.payment_orders
            SET status = 'SUCCEEDED', completed_at = now(), completed_by = $2, captured_at = $3,
                provider_trade_id = COALESCE($4, provider_trade_id)
          WHERE id = $1 AND status = 'PENDING' RETURNING *`,
        [orderId, source, paidAt, trade.providerTradeId ?? null],
      ),
    );
    if (won) {
      const order = toOrder(won);
      const decision = await this.purposes.get(order.purpose).onCaptured(order, m);
      if (decision.accept) {
        await this.postCapture(m, order, decision.account.id, decision.kind, decision.description);
      } else {
        await this.returnToPayer(m, order, decision.reason);
      }
      return 'APPLIED';
    }
    const [late] = returnedRows<PaymentOrderRow>(
      await m.query(
        `UPDATE payments.payment_orders SET captured_at = $2, late_capture = true, provider_trade_id = COALESCE($3, provider_trade_id)
          WHERE id = $1 AND status IN ('FAILED', 'EXPIRED') AND captured_at IS NULL RETURNING *`,
        [orderId, paidAt, trade.providerTradeId ?? null],
      ),
    );
    if (!late) return 'NO_CHANGE';
    const order = toOrder(late);
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
    source: Source,
    reason: string,
    watch = false,
  ): Promise<ApplyOutcome> {
    const [row] = returnedRows<PaymentOrderRow>(
      await m.query(
        `UPDATE payments.payment_orders SET status = $2, completed_at = now(), completed_by = $3, failure_reason = $4,
                watch_until = CASE WHEN $5 THEN now() + interval '48 hours' END
          WHERE id = $1 AND status = 'PENDING' RETURNING *`,
        [orderId, status, source, reason, watch],
      ),
    );
    if (!row) return 'NO_CHANGE';
    const order = toOrder(row);
    await this.purposes.get(order.purpose).onEnded?.(order, m);
    return 'APPLIED';
  }

  /**
   * The query job: claims pending orders whose time to be queried has come
   * (SKIP LOCKED, so replicas share the work), asks each provider, applies
   * what it says, and expires orders past their lifetime. Returns how many
   * orders it looked at.
   */
  async sweep(limit = 100): Promise<number> {
    const claimed = returnedRows<PaymentOrderRow>(
      await this.dataSource.query(
        `UPDATE payments.payment_orders SET next_query_at = now() + $1 * interval '1 millisecond', query_attempts = query_attempts + 1
          WHERE id IN (SELECT id FROM payments.payment_orders
                        WHERE next_query_at <= now()
                          AND (status = 'PENDING' OR (watch_until > now() AND captured_at IS NULL))
                        ORDER BY next_query_at LIMIT $2 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [this.config.PAYMENT_QUERY_INTERVAL_MS, limit],
      ),
    ).map(toOrder);
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
    const trade = await this.query(provider, order);
    if (order.status !== 'PENDING') {
      // watched after expiry: a capture is refunded (late capture); a definite answer ends the watch
      if (trade?.status === 'SUCCEEDED') await this.apply(order, trade, 'QUERY');
      else if (trade && trade.status !== 'PENDING') await this.dataSource.query(`UPDATE payments.payment_orders SET watch_until = NULL WHERE id = $1`, [order.id]);
      return;
    }
    if (trade && trade.status !== 'PENDING' && trade.status !== 'NOT_FOUND') {
      await this.apply(order, trade, 'QUERY');
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
      const paid = await this.query(provider, order);
      // the provider says paid: never expire on that; the next sweep asks again if the query did not confirm
      if (paid?.status === 'SUCCEEDED') await this.apply(order, paid, 'QUERY');
      return;
    }
    await withTransactionRetry(this.dataSource, (m) => this.end(m, order.id, 'EXPIRED', 'EXPIRY', 'not paid in time', closed === undefined));
  }

  /** A provider query, checked like a notification; undefined when the provider cannot say or says something inconsistent. */
  private async query(provider: PaymentProvider, order: PaymentOrder): Promise<ProviderTrade | undefined> {
    try {
      const trade = await provider.queryPayment(order.outTradeNo);
      const mismatch = this.mismatch(order, provider, trade, false);
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
