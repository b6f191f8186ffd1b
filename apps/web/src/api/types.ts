/** Shapes of the public API (api.md), as the web app reads them. */
export type Currency = 'CNY' | 'HKD' | 'MOP';
export type Provider = 'ALIPAY' | 'WECHAT_PAY' | 'UNIONPAY' | 'ALIPAY_HK';
export const PROVIDERS: Provider[] = ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'];

export interface Money {
  amount: number;
  currency: Currency;
}

export interface Role {
  role: string;
  organizationId?: string;
}

export interface User {
  id: string;
  phone: string;
  displayName: string | null;
  kycLevel: 0 | 1;
  realName?: { fullName: string; idType: string; idNumberMasked: string };
  roles: Role[];
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface WalletTransaction {
  id: string;
  kind: string;
  amount: number;
  currency: Currency;
  balanceAfter: number;
  description: string | null;
  createdAt: string;
}

export interface Checkout {
  providerTradeId: string;
  qrPayload?: string;
  redirectUrl?: string;
}

export interface PaymentOrder {
  id: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';
  provider: Provider;
  amount: number;
  currency: Currency;
  providerAmount?: Money;
  checkout?: Checkout;
  createdAt?: string;
  completedAt?: string;
}

export interface Biller {
  id: string;
  name: string;
  category: string;
  allowsPartial: boolean;
  allowsAdvance: boolean;
}

export interface Bill {
  id: string;
  billerId: string;
  customerRef: string;
  period: string;
  amount: number;
  paidAmount: number;
  outstanding: number;
  currency: Currency;
  dueDate: string;
  status: 'UNPAID' | 'PARTIALLY_PAID' | 'PAID';
  customerNameMasked: string | null;
}

export interface BillerAccount {
  id: string;
  billerId: string;
  billerName: string;
  customerRef: string;
  alias: string | null;
  autoPay: Money | { maxAmount: number; currency: Currency } | null;
  createdAt: string;
}

export interface BillPayment {
  id: string;
  status: 'SUCCEEDED' | 'PENDING' | 'FAILED' | 'REFUNDED';
  amount: number;
  currency: Currency;
  method: string;
  billId: string;
  receiptNo?: string | null;
  receipt?: { receiptNo: string; billerName: string; customerRef: string; period: string; amount: number; currency: Currency; paidAt: string } | null;
}

export interface PayResult {
  payment: BillPayment;
  bill: Bill;
  checkout?: Checkout;
}

export interface Organization {
  id: string;
  name: string;
  kind: 'BILLER' | 'TRANSIT_OPERATOR' | 'UNIVERSITY' | 'MERCHANT';
  currency?: Currency;
}

export interface DailySettlements {
  from: string;
  to: string;
  currency: Currency;
  days: { date: string; count: number; total: Money }[];
}

export interface WebhookDelivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface ReconciliationReport {
  date: string;
  runs: { provider: Provider; ranAt: string; platformRows: number; providerRows: number; mismatches: number; error: string | null }[];
  mismatches: {
    provider: Provider;
    kind: string;
    entryType: 'PAYMENT' | 'REFUND';
    outTradeNo: string;
    outRefundNo: string | null;
    platformAmount: number | null;
    providerAmount: number | null;
    currency: Currency;
  }[];
}
