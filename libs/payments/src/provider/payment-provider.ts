import type { Currency } from '@app/common';

/** The providers the platform takes payments through. */
export const PROVIDER_CODES = ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;
export type ProviderCode = (typeof PROVIDER_CODES)[number];

/** `alipay-hk`, `WECHAT_PAY`, `wechat_pay`... -> the provider code, or undefined. */
export function parseProviderCode(raw: string): ProviderCode | undefined {
  const code = raw.trim().toUpperCase().replace(/-/g, '_');
  return (PROVIDER_CODES as readonly string[]).includes(code) ? (code as ProviderCode) : undefined;
}

export interface CreatePaymentRequest {
  /** The platform's order number at the provider (32 hex characters). */
  outTradeNo: string;
  /** In the provider's currency, minor units. */
  amount: bigint;
  currency: Currency;
  subject: string;
  notifyUrl: string;
  /** The provider closes the trade by itself after this. */
  expiresAt: Date;
}

export interface Checkout {
  /** What the provider knows the trade by at checkout (its trade number where it returns one, else our order number). */
  providerTradeId: string;
  qrPayload?: string;
  redirectUrl?: string;
}

/** A trade as the provider reports it (query or notification). */
export interface ProviderTrade {
  outTradeNo: string;
  providerTradeId?: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CLOSED' | 'NOT_FOUND';
  /** Minor units of `currency`, when the provider states it. */
  amount?: bigint;
  currency?: Currency;
  /** The merchant / app id the provider addressed. */
  merchantId?: string;
  paidAt?: Date;
}

/** A verified notification: its signature held; the fields are still to be checked against the order. */
export interface ProviderNotification extends ProviderTrade {
  /** The provider's id for this notification (repeats on redelivery). */
  notificationId: string;
  merchantId: string;
}

export interface NotificationInput {
  /** The request path it arrived on, without the query (Alipay+ signs it). */
  path: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** What the provider expects as the answer to its notification. */
export interface NotificationReply {
  status: number;
  contentType: string;
  body: string;
}

export interface RefundRequest {
  outTradeNo: string;
  /** Unique per refund: the provider refunds once per number. */
  outRefundNo: string;
  /** Provider currency, minor units. */
  amount: bigint;
  /** The order's full amount in the provider currency (WeChat and UnionPay ask for it). */
  totalAmount: bigint;
  currency: Currency;
  reason?: string;
}

export interface RefundResult {
  status: 'SUCCEEDED' | 'PENDING' | 'FAILED';
  providerRefundId?: string;
  /** Why the provider refused (FAILED). */
  reason?: string;
}

export type CloseResult = 'CLOSED' | 'ALREADY_PAID' | 'NOT_FOUND';

/** One row of a provider's settlement file. */
export interface SettlementRow {
  type: 'PAYMENT' | 'REFUND';
  outTradeNo: string;
  outRefundNo?: string;
  providerTradeId?: string;
  amount: bigint;
  currency: Currency;
  at: Date;
}

/**
 * The port every provider adapter implements. The platform sees only this:
 * adapters speak their provider's wire protocol and signing scheme.
 * Never call one inside a database transaction.
 */
export interface PaymentProvider {
  readonly code: ProviderCode;
  /** What shoppers pay in through this provider. */
  readonly currency: Currency;
  /** Our merchant / app id at the provider (notifications must carry it). */
  readonly merchantId: string;

  createPayment(request: CreatePaymentRequest): Promise<Checkout>;
  queryPayment(outTradeNo: string): Promise<ProviderTrade>;
  closePayment(outTradeNo: string): Promise<CloseResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Verifies the signature over the raw body; throws NotificationRejectedError on forgery. */
  parseNotification(input: NotificationInput): ProviderNotification;
  /** The answer that tells the provider the notification was taken (or not). */
  notificationReply(accepted: boolean): NotificationReply;
  /** The provider's settlement file for a day (YYYY-MM-DD, Asia/Shanghai), parsed. */
  fetchSettlement(date: string): Promise<SettlementRow[]>;
}

/** Thrown by parseNotification: bad signature, stale timestamp, unparsable body. */
export class NotificationRejectedError extends Error {
  constructor(reason: string) {
    super(`notification rejected: ${reason}`);
    this.name = 'NotificationRejectedError';
  }
}

/** The provider could not be reached or answered something unusable. */
export class ProviderCallError extends Error {
  constructor(
    readonly provider: ProviderCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
    this.name = 'ProviderCallError';
  }
}
