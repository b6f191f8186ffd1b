import { createRequire } from 'node:module';
import type { AlipaySdk } from 'alipay-sdk';
import type { Currency } from '@app/common';
import { parseShanghaiTime, shanghaiDateTime } from '@app/common';
import { fromDecimalString, toDecimalString } from '../domain/amounts.js';
import type { AlipayCredentials } from '../provider/credentials.js';
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

/**
 * `alipay-sdk` (with urllib, undici and crypto-js: some 300 modules) is loaded
 * on the first Alipay call, not at every start of the API: most starts never
 * talk to Alipay, and loading it was about a tenth of a start's CPU.
 */
let sdkClass: typeof AlipaySdk | undefined;
function loadAlipaySdk(): typeof AlipaySdk {
  return (sdkClass ??= (createRequire(import.meta.url)('alipay-sdk') as typeof import('alipay-sdk')).AlipaySdk);
}

type AlipayResult = Record<string, string | undefined> & { code?: string; subCode?: string; subMsg?: string; msg?: string };

/** Refund answers that mean the money did not and will not move (everything else is retried with the same number). */
const DEFINITE_REFUND_REFUSALS = new Set([
  'ACQ.TRADE_NOT_EXIST',
  'ACQ.TRADE_STATUS_ERROR',
  'ACQ.TRADE_HAS_CLOSE',
  'ACQ.REFUND_FEE_ERROR',
  'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
  'ACQ.REASON_TRADE_REFUND_FEE_ERR',
  'ACQ.DISCORDANT_REPEAT_REQUEST',
]);

const TRADE_STATUS: Record<string, ProviderTrade['status']> = {
  WAIT_BUYER_PAY: 'PENDING',
  TRADE_SUCCESS: 'SUCCEEDED',
  TRADE_FINISHED: 'SUCCEEDED',
  TRADE_CLOSED: 'CLOSED',
};

/**
 * Alipay open API (v2 gateway), RSA2. Requests are signed and responses
 * verified by the maintained `alipay-sdk` (`exec` with `validateSign`);
 * notifications (form-encoded) are verified with its `checkNotifySignV2`
 * against Alipay's public key, and answered with the literal `success`.
 */
export class AlipayAdapter implements PaymentProvider {
  readonly code = 'ALIPAY' as const;
  readonly currency: Currency = 'CNY';
  readonly merchantId: string;
  private readonly credentials: AlipayCredentials;
  private sdkInstance?: AlipaySdk;

  constructor(
    credentials: unknown,
    private readonly resolveUrl: (url: string) => string,
  ) {
    this.credentials = requireFields<AlipayCredentials>('ALIPAY', credentials, ['gateway', 'appId', 'sellerId', 'privateKey', 'alipayPublicKey']);
    this.merchantId = this.credentials.appId;
  }

  /** Built on first use: a sandbox gateway's address is known only once the server listens. */
  private get sdk(): AlipaySdk {
    const Sdk = loadAlipaySdk();
    return (this.sdkInstance ??= new Sdk({
      appId: this.credentials.appId,
      privateKey: this.credentials.privateKey,
      alipayPublicKey: this.credentials.alipayPublicKey,
      gateway: this.resolveUrl(this.credentials.gateway),
      keyType: 'PKCS8',
      signType: 'RSA2',
      camelcase: true,
      timeout: 10_000,
    }));
  }

  private async call(method: string, bizContent: Record<string, unknown>, extra: Record<string, string> = {}): Promise<AlipayResult> {
    try {
      return (await this.sdk.exec(method, { ...extra, bizContent }, { validateSign: true })) as AlipayResult;
    } catch (err) {
      throw new ProviderCallError('ALIPAY', `${method}: ${(err as Error).message}`, { cause: err });
    }
  }

  async createPayment(request: CreatePaymentRequest): Promise<Checkout> {
    const res = await this.call(
      'alipay.trade.precreate',
      {
        out_trade_no: request.outTradeNo,
        total_amount: toDecimalString(request.amount),
        subject: request.subject,
        time_expire: shanghaiDateTime(request.expiresAt),
      },
      { notifyUrl: request.notifyUrl },
    );
    if (res.code !== '10000' || !res.qrCode) throw new ProviderCallError('ALIPAY', `precreate refused: ${res.subCode ?? res.code} ${res.subMsg ?? res.msg ?? ''}`);
    // precreate names no trade_no until the buyer pays: the trade is known by our number
    return { providerTradeId: res.outTradeNo ?? request.outTradeNo, qrPayload: res.qrCode };
  }

  async queryPayment(outTradeNo: string): Promise<ProviderTrade> {
    const res = await this.call('alipay.trade.query', { out_trade_no: outTradeNo });
    if (res.code === '40004' && res.subCode === 'ACQ.TRADE_NOT_EXIST') return { outTradeNo, status: 'NOT_FOUND' };
    if (res.code !== '10000') throw new ProviderCallError('ALIPAY', `query refused: ${res.subCode ?? res.code}`);
    return {
      outTradeNo,
      providerTradeId: res.tradeNo,
      status: TRADE_STATUS[res.tradeStatus ?? ''] ?? 'PENDING',
      amount: res.totalAmount ? fromDecimalString(res.totalAmount) : undefined,
      currency: 'CNY',
      paidAt: res.sendPayDate ? parseShanghaiTime(res.sendPayDate) : undefined,
    };
  }

  async closePayment(outTradeNo: string): Promise<CloseResult> {
    const res = await this.call('alipay.trade.close', { out_trade_no: outTradeNo });
    if (res.code === '10000') return 'CLOSED';
    if (res.subCode === 'ACQ.TRADE_NOT_EXIST') return 'NOT_FOUND';
    if (res.subCode === 'ACQ.TRADE_STATUS_ERROR') return 'ALREADY_PAID';
    throw new ProviderCallError('ALIPAY', `close refused: ${res.subCode ?? res.code}`);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const res = await this.call('alipay.trade.refund', {
      out_trade_no: request.outTradeNo,
      refund_amount: toDecimalString(request.amount),
      out_request_no: request.outRefundNo,
      refund_reason: request.reason,
    });
    // 10000 is a refund made; fund_change N only says this request (a repeat) moved no new money
    if (res.code === '10000') return { status: 'SUCCEEDED', providerRefundId: res.tradeNo };
    if (res.code === '40004' && DEFINITE_REFUND_REFUSALS.has(res.subCode ?? '')) return { status: 'FAILED', reason: `${res.subCode}: ${res.subMsg ?? ''}` };
    // anything else (ACQ.SYSTEM_ERROR, a short seller balance, ...) may succeed when retried with the same number
    throw new ProviderCallError('ALIPAY', `refund not made yet: ${res.subCode ?? res.code}`);
  }

  parseNotification(input: NotificationInput): ProviderNotification {
    const params = Object.fromEntries(new URLSearchParams(input.rawBody.toString('utf8')));
    if (!params.sign) throw new NotificationRejectedError('no sign');
    // RSA2 only: the message does not get to choose a weaker algorithm
    if (params.sign_type !== undefined && params.sign_type !== 'RSA2') throw new NotificationRejectedError(`sign_type ${params.sign_type}`);
    let verified: boolean;
    try {
      verified = this.sdk.checkNotifySignV2(params);
    } catch {
      verified = false;
    }
    if (!verified) throw new NotificationRejectedError('signature does not verify with the Alipay public key');
    if (!params.notify_id || !params.out_trade_no || !params.trade_status || !params.total_amount) {
      throw new NotificationRejectedError('missing fields');
    }
    // Alipay's advice: check that seller_id is our PID (a notification for another seller under our app is not ours)
    if (params.seller_id !== this.credentials.sellerId) {
      throw new NotificationRejectedError(`seller_id ${params.seller_id ?? '(none)'} is not ours`);
    }
    let amount: bigint;
    let paidAt: Date | undefined;
    try {
      amount = fromDecimalString(params.total_amount);
      paidAt = params.gmt_payment ? parseShanghaiTime(params.gmt_payment) : undefined;
    } catch {
      throw new NotificationRejectedError('bad total_amount or gmt_payment');
    }
    return {
      notificationId: params.notify_id,
      merchantId: params.app_id ?? '',
      outTradeNo: params.out_trade_no,
      providerTradeId: params.trade_no,
      status: TRADE_STATUS[params.trade_status] ?? 'PENDING',
      amount,
      // mainland trades are in CNY; a cross-border notify states trans_currency
      currency: (params.trans_currency ?? 'CNY') as Currency,
      paidAt,
    };
  }

  notificationReply(accepted: boolean): NotificationReply {
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: accepted ? 'success' : 'fail' };
  }

  /** alipay.data.dataservice.bill.downloadurl.query, then the bill file (CSV, amounts in yuan). */
  async fetchSettlement(date: string): Promise<SettlementRow[]> {
    const res = await this.call('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: date });
    if (res.code !== '10000' || !res.billDownloadUrl) throw new ProviderCallError('ALIPAY', `bill url refused: ${res.subCode ?? res.code}`);
    const file = await providerFetch('ALIPAY', res.billDownloadUrl, { method: 'GET' });
    if (file.status !== 200) throw new ProviderCallError('ALIPAY', `bill download answered ${file.status}`);
    return readCsv(file.text).map((r) => {
      const refund = r['业务类型'] === '退款';
      const amount = fromDecimalString(r['订单金额（元）'].replace(/^-/, ''));
      return {
        type: refund ? ('REFUND' as const) : ('PAYMENT' as const),
        outTradeNo: r['商户订单号'],
        outRefundNo: refund ? r['退款批次号/请求号'] : undefined,
        providerTradeId: r['支付宝交易号'],
        amount,
        currency: 'CNY' as Currency,
        at: parseShanghaiTime(r['完成时间']),
      };
    });
  }
}
