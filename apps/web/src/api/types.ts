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
  /** ALIPAY_HK: what the provider charges, in its currency, and the rate used (amount / rate, rounded up). */
  providerAmount?: Money & { rate: string; rateAsOf: string };
  checkout?: Checkout | null;
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

export interface AppNotification {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
  readAt?: string;
}

export interface NotificationPage extends Page<AppNotification> {
  unreadCount: number;
}

export interface RideCode {
  code: string;
  expiresAt: string;
  qrSvg?: string;
}

export interface RideCredential {
  credential: string;
  credentialId: string;
  expiresAt: string;
  maxCodes: number;
}

export interface Trip {
  id: string;
  routeCode: string;
  boardedAt: string;
  alightedAt?: string;
  fare: Money | null;
  fareBreakdown: { base?: number; concession?: number; transfer?: number; cap?: number } | null;
  status: 'CHARGED' | 'UNPAID' | 'PENDING_TAP_OUT' | 'PENDING' | 'FAILED';
  method: string;
  vehicleId?: string;
  chargedAt?: string;
}

export interface Arrears {
  inArrears: boolean;
  unpaidTrips: number;
  total: Money[];
}

export interface ArrearsPaid {
  paidTrips: number;
  total: Money[];
  inArrears: boolean;
}

export type RouteFare =
  | { type: 'FLAT'; amount: number; currency: Currency }
  | { type: 'DISTANCE'; baseAmount: number; baseStops: number; perStopAmount: number; maxAmount: number; currency: Currency };

export interface TransitRoute {
  id: string;
  operatorId: string;
  code: string;
  name: string;
  fare: RouteFare;
  createdAt: string;
}

export interface Vehicle {
  id: string;
  operatorId: string;
  plate: string;
  routeCode: string;
  staticQr: string;
  staticQrSvg: string;
}

export interface FarePolicy {
  transfer?: { windowMinutes: number; discount: Money };
  dailyCap?: Money;
  concessions?: { SENIOR?: { percentOff: number; minAge?: number } };
  effectiveFrom?: string | null;
}

export interface TransitSettlement {
  date: string;
  operatorId: string;
  count: number;
  routes: { routeCode: string; routeId: string; count: number; total: Money }[];
}

export interface CampusCard {
  id: string;
  universityId: string;
  memberNo: string;
  status: 'ACTIVE' | 'FROZEN';
  balance: number;
  subsidyBalance: number;
  currency: Currency;
  dailyLimit: number;
  passwordFreeLimit: number;
  offlineLimit: number;
  pinSet: boolean;
  createdAt: string;
}

export interface CardMovement {
  id: string;
  kind: string;
  amount: number;
  subsidyAmount: number;
  currency: Currency;
  balanceAfter: number;
  subsidyBalanceAfter: number;
  description: string | null;
  referenceId: string | null;
  createdAt: string;
}

export interface CardTopUp {
  id: string;
  status: 'SUCCEEDED' | 'PENDING';
  amount: number;
  currency: Currency;
  source: string;
  card?: CampusCard;
  paymentOrder?: PaymentOrder;
  checkout?: Checkout;
}

export interface SubsidyResult {
  batchId: string;
  credited: number;
  skipped: { memberNo: string; reason: string }[];
}

export interface MerchantSettlement {
  date: string;
  currency: Currency;
  count: number;
  total: Money;
  refunds: { count: number; amount: number; currency: Currency };
  net: Money;
  items: { id: string; amount: number; mode: string; chargedAt: string; postedAt: string }[];
  refundItems: { id: string; chargeId: string; amount: number; createdAt: string }[];
}
