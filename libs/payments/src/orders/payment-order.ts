import type { Currency } from '@app/common';
import type { EntityManager } from 'typeorm';
import type { LedgerAccount } from '@app/ledger';
import type { PaymentOrderEntity, PaymentOrderStatus } from '../entities/payment-order.entity.js';
import type { ProviderCode } from '../provider/payment-provider.js';

export type { PaymentOrderStatus };

export interface PaymentOrder {
  id: string;
  outTradeNo: string;
  userId: string;
  purpose: string;
  purposeRef: string | null;
  provider: ProviderCode;
  merchantId: string;
  status: PaymentOrderStatus;
  amount: bigint;
  currency: Currency;
  providerAmount: bigint;
  providerCurrency: Currency;
  fx: { rate: string; source: string; asOf: Date } | null;
  subject: string;
  providerTradeId: string | null;
  qrPayload: string | null;
  redirectUrl: string | null;
  expiresAt: Date;
  createdAt: Date;
  completedAt: Date | null;
  capturedAt: Date | null;
  lateCapture: boolean;
  refundedAmount: bigint;
  refundedProviderAmount: bigint;
  failureReason: string | null;
}

/**
 * A payment_orders row: the entity, or what a hand-written `RETURNING *`
 * answers (its bigint columns as strings, which `toOrder` reads alike).
 */
export type PaymentOrderRow = Omit<PaymentOrderEntity, BigintColumn> & Record<BigintColumn, bigint | string>;
type BigintColumn = 'amount' | 'provider_amount' | 'refunded_amount' | 'refunded_provider_amount';

export function toOrder(r: PaymentOrderRow): PaymentOrder {
  return {
    id: r.id,
    outTradeNo: r.out_trade_no,
    userId: r.user_id,
    purpose: r.purpose,
    purposeRef: r.purpose_ref,
    provider: r.provider,
    merchantId: r.merchant_id,
    status: r.status,
    amount: BigInt(r.amount),
    currency: r.currency.trim() as Currency,
    providerAmount: BigInt(r.provider_amount),
    providerCurrency: r.provider_currency.trim() as Currency,
    fx: r.fx_rate ? { rate: r.fx_rate.replace(/0+$/, '').replace(/\.$/, ''), source: r.fx_source!, asOf: r.fx_as_of! } : null,
    subject: r.subject,
    providerTradeId: r.provider_trade_id,
    qrPayload: r.qr_payload,
    redirectUrl: r.redirect_url,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    capturedAt: r.captured_at,
    lateCapture: r.late_capture,
    refundedAmount: BigInt(r.refunded_amount),
    refundedProviderAmount: BigInt(r.refunded_provider_amount),
    failureReason: r.failure_reason,
  };
}

/** api.md's payment order, as its owner sees it. */
export interface PaymentOrderView {
  id: string;
  status: PaymentOrderStatus;
  provider: ProviderCode;
  amount: number;
  currency: Currency;
  providerAmount?: { amount: number; currency: Currency; rate: string; rateSource: string; rateAsOf: string };
  purpose: string;
  checkout: { providerTradeId: string | null; qrPayload?: string; redirectUrl?: string } | null;
  expiresAt: string;
  createdAt: string;
  completedAt?: string;
  refundedAmount?: number;
}

export function toView(o: PaymentOrder): PaymentOrderView {
  return {
    id: o.id,
    status: o.status,
    provider: o.provider,
    amount: Number(o.amount),
    currency: o.currency,
    ...(o.fx
      ? {
          providerAmount: {
            amount: Number(o.providerAmount),
            currency: o.providerCurrency,
            rate: o.fx.rate,
            rateSource: o.fx.source,
            rateAsOf: o.fx.asOf.toISOString(),
          },
        }
      : {}),
    purpose: o.purpose,
    checkout:
      o.status === 'PENDING'
        ? { providerTradeId: o.providerTradeId, ...(o.qrPayload ? { qrPayload: o.qrPayload } : {}), ...(o.redirectUrl ? { redirectUrl: o.redirectUrl } : {}) }
        : null,
    expiresAt: o.expiresAt.toISOString(),
    createdAt: o.createdAt.toISOString(),
    ...(o.completedAt ? { completedAt: o.completedAt.toISOString() } : {}),
    ...(o.refundedAmount > 0n ? { refundedAmount: Number(o.refundedAmount) } : {}),
  };
}

/** Where a captured payment goes, decided by the purpose's module inside the capture transaction. */
export type CaptureDecision =
  | { accept: true; account: LedgerAccount; kind: string; description: string }
  /** The money cannot be applied (e.g. the bill was paid by someone else meanwhile): it is refunded to the payer. */
  | { accept: false; reason: string };

/**
 * What a purpose's module registers (WALLET_TOP_UP, BILL_PAYMENT, ...), so
 * that libs/payments never imports a business module. Both hooks run inside
 * the platform's transaction: what they write commits with the order's
 * transition, or not at all.
 */
export interface PaymentPurposeHandler {
  onCaptured(order: PaymentOrder, manager: EntityManager): Promise<CaptureDecision>;
  /** The order ended unpaid (FAILED or EXPIRED). */
  onEnded?(order: PaymentOrder, manager: EntityManager): Promise<void>;
  /** Money was captured after the order ended: it is being refunded to the payer. */
  onReturned?(order: PaymentOrder, manager: EntityManager): Promise<void>;
}
