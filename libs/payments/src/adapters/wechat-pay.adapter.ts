import { createDecipheriv, createHash, createPrivateKey, createPublicKey, createSign, createVerify, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { parseShanghaiTime, shanghaiIso } from '@app/common';
import type { Currency } from '@app/common';
import { fromDecimalString, fromMinorString } from '../domain/amounts.js';
import type { WechatPayCredentials } from '../provider/credentials.js';
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

const SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** WeChat Pay refuses, and we refuse, signatures whose timestamp is further off than this. */
const MAX_SKEW_SECONDS = 300;

/** A transaction as the query API answers it and as a notification's resource decrypts to. */
interface Transaction {
  appid?: string;
  mchid?: string;
  out_trade_no?: string;
  transaction_id?: string;
  trade_state?: string;
  success_time?: string;
  amount?: { total?: number; currency?: string };
}

interface Answer {
  status: number;
  body: Record<string, unknown> & { code?: string; message?: string };
}

const TRADE_STATE: Record<string, ProviderTrade['status']> = {
  SUCCESS: 'SUCCEEDED',
  REFUND: 'SUCCEEDED',
  NOTPAY: 'PENDING',
  USERPAYING: 'PENDING',
  CLOSED: 'CLOSED',
  REVOKED: 'CLOSED',
  PAYERROR: 'FAILED',
};

/** WeChat Pay's signing strings: each part followed by "\n" (request: METHOD, URL, TIMESTAMP, NONCE, BODY; response and callback: TIMESTAMP, NONCE, BODY). */
export function wechatMessage(parts: string[]): string {
  return parts.map((p) => `${p}\n`).join('');
}

/** RFC 3339 in Beijing time, as WeChat Pay writes time_expire and success_time. */

/**
 * WeChat Pay API v3, Native pay. Requests carry
 * `Authorization: WECHATPAY2-SHA256-RSA2048 ...` with a SHA256withRSA signature
 * (merchant key) over METHOD, URL, timestamp, nonce and body; every response
 * and callback is verified over timestamp, nonce and body with the WeChat Pay
 * key its `Wechatpay-Serial` names (platform certificate serial or
 * `PUB_KEY_ID_...`), refusing unknown serials and timestamps over 5 minutes
 * off. Callback resources are AEAD_AES_256_GCM under the APIv3 key.
 */
export class WechatPayAdapter implements PaymentProvider {
  readonly code = 'WECHAT_PAY' as const;
  readonly currency: Currency = 'CNY';
  readonly merchantId: string;
  private readonly credentials: WechatPayCredentials;
  private readonly privateKey: KeyObject;
  private readonly platformKeys: Map<string, KeyObject>;
  private readonly apiV3Key: Buffer;

  constructor(
    credentials: unknown,
    private readonly resolveUrl: (url: string) => string,
  ) {
    this.credentials = requireFields<WechatPayCredentials>('WECHAT_PAY', credentials, [
      'gateway',
      'mchId',
      'appId',
      'merchantSerialNo',
      'privateKey',
      'apiV3Key',
      'platformPublicKeys',
    ]);
    this.merchantId = this.credentials.mchId;
    this.privateKey = createPrivateKey(this.credentials.privateKey);
    this.platformKeys = new Map(this.credentials.platformPublicKeys.map((k) => [k.serial, createPublicKey(k.publicKey)]));
    this.apiV3Key = Buffer.from(this.credentials.apiV3Key, 'utf8');
    if (this.apiV3Key.length !== 32) throw new Error('WECHAT_PAY: apiV3Key must be 32 characters');
  }

  async createPayment(request: CreatePaymentRequest): Promise<Checkout> {
    const res = await this.call('POST', '/v3/pay/transactions/native', {
      appid: this.credentials.appId,
      mchid: this.credentials.mchId,
      description: request.subject.slice(0, 127),
      out_trade_no: request.outTradeNo,
      time_expire: shanghaiIso(request.expiresAt),
      notify_url: request.notifyUrl,
      amount: { total: Number(request.amount), currency: request.currency },
    });
    if (res.status !== 200 || typeof res.body.code_url !== 'string') throw this.refused('native order', res);
    // Native pay names no transaction_id until the payer pays: the trade is known by our number
    return { providerTradeId: request.outTradeNo, qrPayload: res.body.code_url };
  }

  async queryPayment(outTradeNo: string): Promise<ProviderTrade> {
    const res = await this.call('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${this.credentials.mchId}`);
    if (res.status === 404 && res.body.code === 'ORDER_NOT_EXIST') return { outTradeNo, status: 'NOT_FOUND' };
    if (res.status !== 200) throw this.refused('query', res);
    try {
      return this.toTrade(res.body as Transaction);
    } catch (err) {
      throw new ProviderCallError('WECHAT_PAY', `query answered an unusable transaction: ${(err as Error).message}`, { cause: err });
    }
  }

  async closePayment(outTradeNo: string): Promise<CloseResult> {
    const res = await this.call('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, { mchid: this.credentials.mchId });
    if (res.status === 204) return 'CLOSED';
    if (res.body.code === 'ORDERPAID') return 'ALREADY_PAID';
    if (res.body.code === 'ORDER_NOT_EXIST') return 'NOT_FOUND';
    throw this.refused('close', res);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const res = await this.call('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: request.outTradeNo,
      out_refund_no: request.outRefundNo,
      reason: request.reason?.slice(0, 80),
      amount: { refund: Number(request.amount), total: Number(request.totalAmount), currency: request.currency },
    });
    if (res.status === 200) {
      // ABNORMAL: the money left us but did not reach the payer (manual handling at WeChat): never reversed here
      const status = { SUCCESS: 'SUCCEEDED', PROCESSING: 'PENDING', ABNORMAL: 'PENDING' }[String(res.body.status)] as RefundResult['status'] | undefined;
      return { status: status ?? 'FAILED', providerRefundId: res.body.refund_id as string | undefined, reason: status ? undefined : `refund ${String(res.body.status)}` };
    }
    // 400 (INVALID_REQUEST: more than is refundable, PARAM_ERROR) and 404 (RESOURCE_NOT_EXISTS) are final; 403 NOT_ENOUGH, 429 and 5xx are worth retrying
    if (res.status === 400 || res.status === 404) return { status: 'FAILED', reason: `${res.body.code}: ${res.body.message ?? ''}` };
    throw this.refused('refund', res);
  }

  parseNotification(input: NotificationInput): ProviderNotification {
    const header = (name: string): string | undefined => {
      const v = input.headers[name.toLowerCase()] ?? input.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const body = input.rawBody.toString('utf8');
    const type = header('Wechatpay-Signature-Type');
    if (type !== undefined && type !== SCHEME) throw new NotificationRejectedError(`signature type ${type}`);
    const problem = this.signatureProblem(header, body);
    if (problem) throw new NotificationRejectedError(problem);
    let event: { id?: string; resource?: { algorithm?: string; ciphertext?: string; associated_data?: string; nonce?: string } };
    let tx: Transaction;
    try {
      event = JSON.parse(body) as typeof event;
      tx = JSON.parse(this.decrypt(event.resource ?? {})) as Transaction;
    } catch {
      throw new NotificationRejectedError('resource does not decrypt with the APIv3 key');
    }
    if (!event.id) throw new NotificationRejectedError('no id');
    let trade: ProviderTrade;
    try {
      trade = this.toTrade(tx);
    } catch (err) {
      throw new NotificationRejectedError((err as Error).message);
    }
    // a callback for another app id is not ours even under our mchid
    const merchantId = tx.appid === this.credentials.appId ? (tx.mchid ?? '') : `${tx.mchid ?? ''}/${tx.appid ?? ''}`;
    return { ...trade, notificationId: event.id, merchantId };
  }

  notificationReply(accepted: boolean): NotificationReply {
    return accepted
      ? { status: 204, contentType: 'application/json; charset=utf-8', body: '' }
      : { status: 400, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code: 'FAIL', message: '失败' }) };
  }

  /** The ALL trade bill: its download URL and SHA1, then the file (backtick-prefixed CSV, yuan, summary lines at the end). */
  async fetchSettlement(date: string): Promise<SettlementRow[]> {
    const res = await this.call('GET', `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL`);
    if (res.status === 400 && res.body.code === 'NO_STATEMENT_EXIST') return [];
    const { download_url: url, hash_value: hash } = res.body as { download_url?: string; hash_value?: string };
    if (res.status !== 200 || !url || !hash) throw this.refused('trade bill', res);
    const target = new URL(url);
    const file = await providerFetch('WECHAT_PAY', target.href, { method: 'GET', headers: { Authorization: this.authorization('GET', this.signedPath(target), '') } });
    if (file.status !== 200) throw new ProviderCallError('WECHAT_PAY', `bill download answered ${file.status}`);
    if (createHash('sha1').update(file.text, 'utf8').digest('hex') !== hash.toLowerCase()) throw new ProviderCallError('WECHAT_PAY', 'bill file does not match its SHA1');
    const details = file.text.split(/\r?\n(?=总交易单数)/)[0];
    return readCsv(details)
      .filter((r) => r['交易状态'] === 'SUCCESS' || r['交易状态'] === 'REFUND')
      .map((r) => {
        const refund = r['交易状态'] === 'REFUND';
        return {
          type: refund ? ('REFUND' as const) : ('PAYMENT' as const),
          outTradeNo: r['商户订单号'],
          outRefundNo: refund ? r['商户退款单号'] : undefined,
          providerTradeId: r['微信订单号'],
          amount: fromDecimalString(refund ? r['申请退款金额'] : r['订单金额']),
          currency: (r['货币种类'] || 'CNY') as Currency,
          at: parseShanghaiTime(r['交易时间']),
        };
      });
  }

  /** One signed call; the answer's signature is verified whatever its status (WeChat Pay signs errors too). */
  private async call(method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>): Promise<Answer> {
    const url = new URL(this.resolveUrl(this.credentials.gateway).replace(/\/$/, '') + path);
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const headers: Record<string, string> = { Authorization: this.authorization(method, this.signedPath(url), body), Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const reply = await providerFetch('WECHAT_PAY', url.href, { method, headers, body: payload === undefined ? undefined : body });
    if (reply.status >= 500) throw new ProviderCallError('WECHAT_PAY', `${method} ${url.pathname} answered ${reply.status}`);
    const problem = this.signatureProblem((name) => reply.headers.get(name) ?? undefined, reply.text);
    if (problem) throw new ProviderCallError('WECHAT_PAY', `${method} ${url.pathname}: answer rejected: ${problem}`);
    try {
      return { status: reply.status, body: reply.text === '' ? {} : (JSON.parse(reply.text) as Answer['body']) };
    } catch (err) {
      throw new ProviderCallError('WECHAT_PAY', `${method} ${url.pathname} answered no JSON`, { cause: err });
    }
  }

  /**
   * The URL as the signature covers it: path and query relative to the
   * gateway's base URL (at api.mch.weixin.qq.com that is the whole path; a
   * gateway mounted under a path, as the sandbox is, signs what comes after).
   */
  private signedPath(url: URL): string {
    const base = new URL(this.resolveUrl(this.credentials.gateway));
    const mount = base.pathname.replace(/\/+$/, '');
    const full = url.pathname + url.search;
    return url.origin === base.origin && mount !== '' && full.startsWith(mount + '/') ? full.slice(mount.length) : full;
  }

  private authorization(method: string, pathWithQuery: string, body: string): string {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    const signature = createSign('RSA-SHA256').update(wechatMessage([method, pathWithQuery, timestamp, nonce, body]), 'utf8').sign(this.privateKey, 'base64');
    const { mchId, merchantSerialNo } = this.credentials;
    return `${SCHEME} mchid="${mchId}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${merchantSerialNo}"`;
  }

  /** Why the Wechatpay-* headers do not vouch for the body, or undefined when they do. */
  private signatureProblem(header: (name: string) => string | undefined, body: string): string | undefined {
    const [timestamp, nonce, signature, serial] = ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial'].map(header);
    if (!timestamp || !nonce || !signature || !serial) return 'Wechatpay-* signature headers missing';
    const key = this.platformKeys.get(serial);
    if (!key) return `unknown Wechatpay-Serial ${serial}`;
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return 'timestamp more than 5 minutes off';
    const valid = createVerify('RSA-SHA256').update(wechatMessage([timestamp, nonce, body]), 'utf8').verify(key, signature, 'base64');
    return valid ? undefined : 'signature does not verify with the WeChat Pay key';
  }

  /** AEAD_AES_256_GCM: ciphertext is base64 of the encrypted bytes followed by the 16-byte tag. */
  private decrypt(resource: { algorithm?: string; ciphertext?: string; associated_data?: string; nonce?: string }): string {
    if (resource.algorithm !== 'AEAD_AES_256_GCM' || !resource.ciphertext || !resource.nonce) throw new Error('not an AEAD_AES_256_GCM resource');
    const data = Buffer.from(resource.ciphertext, 'base64');
    if (data.length <= 16) throw new Error('ciphertext too short');
    const decipher = createDecipheriv('aes-256-gcm', this.apiV3Key, Buffer.from(resource.nonce, 'utf8'));
    decipher.setAuthTag(data.subarray(-16));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    return Buffer.concat([decipher.update(data.subarray(0, -16)), decipher.final()]).toString('utf8');
  }

  private toTrade(tx: Transaction): ProviderTrade {
    if (!tx.out_trade_no || !tx.trade_state || tx.amount?.total === undefined) throw new Error('transaction lacks out_trade_no, trade_state or amount');
    const paidAt = tx.success_time ? new Date(tx.success_time) : undefined;
    if (paidAt && Number.isNaN(paidAt.getTime())) throw new Error('bad success_time');
    return {
      outTradeNo: tx.out_trade_no,
      providerTradeId: tx.transaction_id,
      status: TRADE_STATE[tx.trade_state] ?? 'PENDING',
      amount: fromMinorString(tx.amount.total),
      currency: (tx.amount.currency ?? 'CNY') as Currency,
      merchantId: tx.mchid,
      paidAt,
    };
  }

  private refused(what: string, res: Answer): ProviderCallError {
    return new ProviderCallError('WECHAT_PAY', `${what} refused: ${res.status} ${res.body.code ?? ''} ${res.body.message ?? ''}`.trim());
  }
}
