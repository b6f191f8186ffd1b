export const SANDBOX_PROVIDERS = ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;
export type SandboxProvider = (typeof SANDBOX_PROVIDERS)[number];

/** URL segment of each gateway: /sandbox/alipay, /sandbox/wechat-pay, ... */
export function parseSandboxProvider(raw: string): SandboxProvider | undefined {
  const code = raw.trim().toUpperCase().replace(/-/g, '_');
  return (SANDBOX_PROVIDERS as readonly string[]).includes(code) ? (code as SandboxProvider) : undefined;
}

export interface SandboxTrade {
  provider: SandboxProvider;
  outTradeNo: string;
  tradeNo: string;
  merchantId: string;
  amount: bigint;
  currency: string;
  subject: string;
  notifyUrl: string;
  status: 'WAITING' | 'PAID' | 'FAILED' | 'CLOSED';
  refunded: bigint;
  expiresAt: Date;
  createdAt: Date;
  paidAt: Date | null;
}

export interface SandboxRefund {
  outRefundNo: string;
  outTradeNo: string;
  refundNo: string;
  amount: bigint;
  createdAt: Date;
}

/** The keys and ids a gateway holds for its one merchant (the platform). */
export type GatewaySecrets = Record<string, string>;

/** What a test or a curious developer may change in a notification (it is still signed correctly unless corruptSignature). */
export interface NotificationOverrides {
  amount?: bigint;
  currency?: string;
  merchantId?: string;
  notificationId?: string;
  corruptSignature?: boolean;
}

export interface OutgoingNotification {
  notificationId: string;
  headers: Record<string, string>;
  body: string;
}

export interface SettlementEntry {
  type: 'PAYMENT' | 'REFUND';
  trade: SandboxTrade;
  refund?: SandboxRefund;
  amount: bigint;
  at: Date;
}

/**
 * One provider's wire protocol as the gateway speaks it. Its HTTP API is a
 * controller of its own; this is what the shared sandbox routes (pay, fail,
 * settlement files) need from it.
 */
export interface SandboxGateway {
  readonly provider: SandboxProvider;
  /**
   * Opens the merchant account on first start: new key pairs and ids. The
   * merchant half is what the provider's console would hand the platform
   * (PEM keys, ids, the gateway path under this server); the gateway half
   * stays with the gateway.
   */
  provision(newKeyPair: () => Promise<KeyPair>): Promise<{ merchant: Record<string, unknown>; gateway: GatewaySecrets }>;
  /** Whether an account opened by an older sandbox lacks what this gateway now needs (it is then opened again). */
  outdated?(secrets: GatewaySecrets): boolean;
  /** The merchant half as the platform is configured with it (fills what accounts opened by an older sandbox lack); as stored when absent. */
  merchantCredentials?(merchant: Record<string, unknown>, secrets: GatewaySecrets): Record<string, unknown>;
  /** The signed notification the real gateway would POST to the trade's notify URL, or undefined when it sends none for this outcome. */
  notification(trade: SandboxTrade, secrets: GatewaySecrets, overrides: NotificationOverrides): OutgoingNotification | undefined;
  /** Whether the platform's answer acknowledges the notification, as the real gateway judges it. */
  acknowledged(status: number, body: string): boolean;
  /** The day's settlement file, in this provider's format. */
  settlementFile(entries: SettlementEntry[], secrets: GatewaySecrets): { contentType: string; body: string };
}

export const SANDBOX_GATEWAYS = Symbol('SANDBOX_GATEWAYS');

export interface KeyPair {
  /** SPKI PEM */
  publicKey: string;
  /** PKCS#8 PEM */
  privateKey: string;
}
