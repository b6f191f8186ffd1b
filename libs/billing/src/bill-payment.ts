import { IdempotencyClaimLostError, IdempotencyKeyExistsError, NotFoundError } from '@app/common';
import type { Currency } from '@app/common';
import { sqlState } from '@app/database';
import { InsufficientFundsError } from '@app/ledger';
import type { ProviderCode } from '@app/payments';
import { BillAlreadyPaidError, OverpaymentError, PartialNotAllowedError } from './billing.errors.js';
import type { BillView } from './bills.service.js';

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

/** A row of billing.bill_payments. */
export interface PaymentRow {
  id: string;
  bill_id: string;
  biller_id: string;
  payer_user_id: string;
  amount: string;
  amount_explicit?: boolean;
  currency: string;
  method: PaymentMethod;
  status: BillPaymentView['status'];
  payment_order_id: string | null;
  receipt_no: string | null;
  failure_reason: string | null;
  created_at: Date;
  paid_at: Date | null;
}

export const toPaymentView = (r: PaymentRow): BillPaymentView => ({
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

/** The amount rules' refusals (domain/amount-rule.ts codes) as the API's errors. */
export const REFUSAL = {
  BILL_ALREADY_PAID: () => new BillAlreadyPaidError(),
  OVERPAYMENT: (o: bigint) => new OverpaymentError(o),
  PARTIAL_NOT_ALLOWED: (o: bigint) => new PartialNotAllowedError(o),
} as const;

/** An error of the amount rules: the refusal is the payer's, not a fault. */
export const isAmountRefusal = (err: unknown): boolean => err instanceof BillAlreadyPaidError || err instanceof OverpaymentError || err instanceof PartialNotAllowedError;

/** The refusals of billing.pay_from_wallet() (SQLSTATEs of the pay-from-wallet migration) as the API's errors. */
export function walletRefusal(err: unknown): Error {
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
    case 'IK409':
      return new IdempotencyClaimLostError();
    case 'IK100':
      return new IdempotencyKeyExistsError();
    default:
      return err as Error;
  }
}
