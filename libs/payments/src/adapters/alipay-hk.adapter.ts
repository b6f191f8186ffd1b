import { createSign, createVerify } from 'node:crypto';
import type { Currency } from '@app/common';
import { shanghaiIso } from '@app/common';
import { fromMinorString } from '../domain/amounts.js';
import type { AlipayHkCredentials } from '../provider/credentials.js';
import { requireFields } from '../provider/credentials.js';
import { readCsv } from '../provider/csv.js';
import { providerFetch } from '../provider/http.js';
import { NotificationRejectedError, ProviderCallError } from '../provider/payment-provider.js';
import type {
  Checkout,
  CloseResult,
  CreatePaymentRequest,
  NotificationInput,
  NotificationReply,
  PaymentProvider,
  ProviderNotification,
  ProviderTrade,
  RefundRequest,
  RefundResult,
  SettlementRow,
} from '../provider/payment-provider.js';

interface AmsResult {
  resultCode: string;
  resultStatus: 'S' | 'F' | 'U';
  resultMessage?: string;
}

interface AmsAmount {
  currency: string;
  value: string;
}

type AmsResponse = { result: AmsResult } & Record<string, unknown>;

const PAYMENT_STATUS: Record<string, ProviderTrade['status']> = {
  SUCCESS: 'SUCCEEDED',
  FAIL: 'FAILED',
  CANCELLED: 'CLOSED',
  PROCESSING: 'PENDING',
  PENDING: 'PENDING',
};

/** Result codes saying the call itself was refused (keys, client, API), not the business operation. */
const CALL_REFUSED = new Set(['INVALID_SIGNATURE', 'CLIENT_INVALID', 'INVALID_CLIENT_STATUS', 'KEY_NOT_FOUND', 'ACCESS_DENIED', 'NO_INTERFACE_DEF']);


/** A notification whose Request-Time is further than this from now is refused (replay). */
const NOTIFY_MAX_SKEW_MS = 5 * 60_000;

/** Alipay+ (AMS) content to sign: `<METHOD> <URI>\n<Client-Id>.<Request-Time or Response-Time>.<body>`. */
export function amsSignContent(method: string, uri: string, clientId: string, time: string, body: string): string {
  return `${method} ${uri}\n${clientId}.${time}.${body}`;
}

/** `algorithm=RSA256, keyVersion=1, signature=<URL-encoded base64>` -> the base64 signature. */
export function signatureFromHeader(header: string | undefined): string | undefined {
  const pairs = (header ?? '').split(',').map((p) => p.trim());
  const value = pairs.find((p) => p.startsWith('signature='))?.slice('signature='.length);
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}


/** Request-Time / Response-Time: epoch milliseconds, or ISO 8601 with an offset. */
function parseWireTime(text: string): Date | undefined {
  if (/^\d{13}$/.test(text)) return new Date(Number(text));
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function parseAmount(amount: unknown): { amount: bigint; currency: Currency } {
  const a = amount as Partial<AmsAmount> | undefined;
  if (!a || typeof a.currency !== 'string' || !/^[A-Z]{3}$/.test(a.currency) || a.value === undefined) throw new Error('bad amount');
  return { amount: fromMinorString(a.value), currency: a.currency as Currency };
}

const isResult = (r: unknown): r is AmsResult =>
  !!r && typeof (r as AmsResult).resultCode === 'string' && ['S', 'F', 'U'].includes((r as AmsResult).resultStatus);

/**
 * Alipay+ / Antom online payments API v1 (AMS) for AlipayHK, paid in HKD:
 * JSON over HTTPS, every request signed SHA256withRSA with our private key over
 * `POST <path>\n<Client-Id>.<Request-Time>.<body>` (Signature header, URL-encoded
 * base64), every response and notifyPayment verified the same way with Alipay's
 * public key (Response-Time / Request-Time in place of ours). Amounts are minor
 * units as strings. Clients whose id starts with SANDBOX_ use the /ams/sandbox
 * paths, as Antom's SDKs do.
 */
export class AlipayHkAdapter implements PaymentProvider {
  readonly code = 'ALIPAY_HK' as const;
  readonly currency: Currency = 'HKD';
  readonly merchantId: string;
  private readonly credentials: AlipayHkCredentials;

  constructor(
    credentials: unknown,
    private readonly resolveUrl: (url: string) => string,
  ) {
    this.credentials = requireFields<AlipayHkCredentials>('ALIPAY_HK', credentials, ['gateway', 'clientId', 'keyVersion', 'privateKey', 'alipayPublicKey']);
    this.merchantId = this.credentials.clientId;
  }

  private verify(content: string, signature: string): boolean {
    try {
      return createVerify('RSA-SHA256').update(content, 'utf8').verify(this.credentials.alipayPublicKey, signature, 'base64');
    } catch {
      return false;
    }
  }

  /** POSTs one AMS API (`/v1/payments/pay`...), signed; answers only a response whose signature holds. */
  private async call(api: string, body: Record<string, unknown>): Promise<AmsResponse> {
    const { clientId, keyVersion, privateKey } = this.credentials;
    const prefix = clientId.startsWith('SANDBOX_') ? '/ams/sandbox/api' : '/ams/api';
    const url = this.resolveUrl(this.credentials.gateway).replace(/\/+$/, '') + prefix + api;
    // signed over the API path as Alipay+ sees it (what Antom's SDKs sign), whatever path the gateway's base URL has
    const uri = prefix + api;
    const text = JSON.stringify(body);
    const requestTime = String(Date.now());
    const signature = createSign('RSA-SHA256').update(amsSignContent('POST', uri, clientId, requestTime, text), 'utf8').sign(privateKey, 'base64');
    const res = await providerFetch('ALIPAY_HK', url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=UTF-8',
        'Client-Id': clientId,
        'Request-Time': requestTime,
        Signature: `algorithm=RSA256,keyVersion=${keyVersion},signature=${encodeURIComponent(signature)}`,
      },
      body: text,
    });
    const responseTime = res.headers.get('response-time');
    const responseSignature = signatureFromHeader(res.headers.get('signature') ?? undefined);
    if (
      res.headers.get('client-id') !== clientId ||
      !responseTime ||
      !responseSignature ||
      !this.verify(amsSignContent('POST', uri, clientId, responseTime, res.text), responseSignature)
    ) {
      throw new ProviderCallError('ALIPAY_HK', `${api}: HTTP ${res.status}, response signature missing or not verified`);
    }
    let parsed: AmsResponse;
    try {
      parsed = JSON.parse(res.text) as AmsResponse;
    } catch (err) {
      throw new ProviderCallError('ALIPAY_HK', `${api}: response is not JSON`, { cause: err });
    }
    if (!isResult(parsed?.result)) throw new ProviderCallError('ALIPAY_HK', `${api}: response has no result`);
    if (CALL_REFUSED.has(parsed.result.resultCode)) {
      throw new ProviderCallError('ALIPAY_HK', `${api} refused: ${parsed.result.resultCode} ${parsed.result.resultMessage ?? ''}`);
    }
    return parsed;
  }

  async createPayment(request: CreatePaymentRequest): Promise<Checkout> {
    const amount: AmsAmount = { currency: request.currency, value: request.amount.toString() };
    const res = await this.call('/v1/payments/pay', {
      productCode: 'CASHIER_PAYMENT',
      paymentRequestId: request.outTradeNo,
      order: { referenceOrderId: request.outTradeNo, orderDescription: request.subject, orderAmount: amount },
      paymentAmount: amount,
      paymentMethod: { paymentMethodType: 'ALIPAY_HK' },
      paymentExpiryTime: shanghaiIso(request.expiresAt),
      paymentNotifyUrl: request.notifyUrl,
      settlementStrategy: { settlementCurrency: 'HKD' },
      env: { terminalType: 'WEB' },
    });
    const { result } = res;
    const accepted = result.resultStatus === 'S' || result.resultCode === 'PAYMENT_IN_PROCESS';
    if (!accepted || typeof res.paymentId !== 'string') {
      throw new ProviderCallError('ALIPAY_HK', `pay refused: ${result.resultCode} ${result.resultMessage ?? ''}`);
    }
    const codes = (res.orderCodeForm as { codeDetails?: { codeValue?: string; displayType?: string }[] } | undefined)?.codeDetails ?? [];
    return {
      providerTradeId: res.paymentId,
      redirectUrl: typeof res.normalUrl === 'string' ? res.normalUrl : undefined,
      qrPayload: codes.find((c) => c.displayType === 'TEXT')?.codeValue,
    };
  }

  async queryPayment(outTradeNo: string): Promise<ProviderTrade> {
    const res = await this.call('/v1/payments/inquiryPayment', { paymentRequestId: outTradeNo });
    if (res.result.resultCode === 'ORDER_NOT_EXIST') return { outTradeNo, status: 'NOT_FOUND' };
    if (res.result.resultStatus !== 'S') throw new ProviderCallError('ALIPAY_HK', `inquiryPayment refused: ${res.result.resultCode}`);
    let money: { amount: bigint; currency: Currency } | undefined;
    try {
      money = res.paymentAmount === undefined ? undefined : parseAmount(res.paymentAmount);
    } catch (err) {
      throw new ProviderCallError('ALIPAY_HK', 'inquiryPayment: bad paymentAmount', { cause: err });
    }
    return {
      outTradeNo,
      providerTradeId: typeof res.paymentId === 'string' ? res.paymentId : undefined,
      status: PAYMENT_STATUS[String(res.paymentStatus)] ?? 'PENDING',
      amount: money?.amount,
      currency: money?.currency,
      paidAt: typeof res.paymentTime === 'string' ? parseWireTime(res.paymentTime) : undefined,
    };
  }

  /**
   * Antom's cancel also reverses a payment that already succeeded (until T+1), so a paid
   * trade is reported as such without cancelling; only an unpaid one is cancelled.
   */
  async closePayment(outTradeNo: string): Promise<CloseResult> {
    const trade = await this.queryPayment(outTradeNo);
    if (trade.status === 'NOT_FOUND') return 'NOT_FOUND';
    if (trade.status === 'SUCCEEDED') return 'ALREADY_PAID';
    const { result } = await this.call('/v1/payments/cancel', { paymentRequestId: outTradeNo });
    if (result.resultStatus === 'S') return 'CLOSED';
    if (result.resultCode === 'ORDER_NOT_EXIST') return 'NOT_FOUND';
    if (result.resultCode === 'ORDER_STATUS_INVALID') return 'ALREADY_PAID';
    throw new ProviderCallError('ALIPAY_HK', `cancel refused: ${result.resultCode} ${result.resultMessage ?? ''}`);
  }

  /** refund names the payment by Antom's paymentId, which the port does not carry: inquiryPayment finds it first. */
  async refund(request: RefundRequest): Promise<RefundResult> {
    const trade = await this.queryPayment(request.outTradeNo);
    if (!trade.providerTradeId) throw new ProviderCallError('ALIPAY_HK', `refund: the payment queries as ${trade.status}`);
    const res = await this.call('/v1/payments/refund', {
      refundRequestId: request.outRefundNo,
      paymentId: trade.providerTradeId,
      refundAmount: { currency: request.currency, value: request.amount.toString() },
      refundReason: request.reason,
    });
    const { result } = res;
    if (result.resultStatus === 'S') return { status: 'SUCCEEDED', providerRefundId: typeof res.refundId === 'string' ? res.refundId : undefined };
    if (result.resultStatus === 'U') return { status: 'PENDING' };
    return { status: 'FAILED', reason: `${result.resultCode}: ${result.resultMessage ?? ''}` };
  }

  parseNotification(input: NotificationInput): ProviderNotification {
    const header = (name: string): string | undefined => {
      const entry = Object.entries(input.headers).find(([k]) => k.toLowerCase() === name);
      const value = entry?.[1];
      return Array.isArray(value) ? value[0] : value;
    };
    const clientId = header('client-id');
    const requestTime = header('request-time');
    const signature = signatureFromHeader(header('signature'));
    if (!clientId || !requestTime || !signature) throw new NotificationRejectedError('missing Client-Id, Request-Time or Signature');
    const sentAt = parseWireTime(requestTime);
    if (!sentAt || Math.abs(Date.now() - sentAt.getTime()) > NOTIFY_MAX_SKEW_MS) throw new NotificationRejectedError('Request-Time missing or stale');
    const raw = input.rawBody.toString('utf8');
    // the path is that of the paymentNotifyUrl, which Alipay+ signs
    if (!this.verify(amsSignContent('POST', input.path, clientId, requestTime, raw), signature)) {
      throw new NotificationRejectedError('signature does not verify with the Alipay public key');
    }
    let body: Record<string, unknown>;
    let money: { amount: bigint; currency: Currency };
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
      money = parseAmount(body.paymentAmount);
    } catch {
      throw new NotificationRejectedError('body is not a notifyPayment');
    }
    const { result, paymentRequestId, paymentId, notifyType } = body;
    if (!isResult(result) || typeof paymentRequestId !== 'string' || typeof paymentId !== 'string') {
      throw new NotificationRejectedError('missing fields');
    }
    const pending = notifyType === 'PAYMENT_PENDING' || result.resultStatus === 'U';
    return {
      // Alipay+ sends no notification id: a payment's result is one event (the sandbox may name another)
      notificationId: typeof body.sandboxNotificationId === 'string' ? body.sandboxNotificationId : `${paymentId}${pending ? 'P' : result.resultStatus}`,
      merchantId: clientId,
      outTradeNo: paymentRequestId,
      providerTradeId: paymentId,
      status: pending ? 'PENDING' : result.resultStatus === 'S' ? 'SUCCEEDED' : 'FAILED',
      amount: money.amount,
      currency: money.currency,
      paidAt: typeof body.paymentTime === 'string' ? parseWireTime(body.paymentTime) : undefined,
    };
  }

  /** Antom stops resending only on this exact result; anything else is retried. */
  notificationReply(accepted: boolean): NotificationReply {
    const result = accepted
      ? { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' }
      : { resultCode: 'FAIL', resultStatus: 'F', resultMessage: 'notification refused' };
    return { status: 200, contentType: 'application/json; charset=UTF-8', body: JSON.stringify({ result }) };
  }

  /**
   * The settlement details report (Antom delivers it by SFTP; the gateway here serves it over
   * HTTP): CSV, amounts in minor units, ending with `<END>`; refunds name the original
   * order in referenceTransactionId.
   */
  async fetchSettlement(date: string): Promise<SettlementRow[]> {
    const url = `${this.resolveUrl(this.credentials.gateway).replace(/\/+$/, '')}/settlements/${encodeURIComponent(date)}`;
    const file = await providerFetch('ALIPAY_HK', url, { method: 'GET' });
    if (file.status !== 200) throw new ProviderCallError('ALIPAY_HK', `settlement report answered ${file.status}`);
    try {
      return readCsv(file.text)
        .filter((r) => r.transactionType === 'PAYMENT' || r.transactionType === 'REFUND')
        .map((r) => {
          const refund = r.transactionType === 'REFUND';
          const at = parseWireTime(r.transactionTime);
          if (!at || !/^[A-Z]{3}$/.test(r.transactionAmountCurrency)) throw new Error(`bad row ${r.transactionId}`);
          return {
            type: refund ? ('REFUND' as const) : ('PAYMENT' as const),
            outTradeNo: r.referenceTransactionId,
            outRefundNo: refund ? r.transactionRequestId : undefined,
            providerTradeId: refund ? r.originalTransactionId : r.transactionId,
            amount: fromMinorString(r.transactionAmountValue),
            currency: r.transactionAmountCurrency as Currency,
            at,
          };
        });
    } catch (err) {
      throw new ProviderCallError('ALIPAY_HK', `settlement report unreadable: ${(err as Error).message}`, { cause: err });
    }
  }
}
