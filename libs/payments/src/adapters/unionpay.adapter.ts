import { createHash, createSign, createVerify, X509Certificate } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import type { Currency } from '@app/common';
import { parseShanghaiTime, shanghaiCompact, shanghaiDayRange } from '@app/common';
import { fromMinorString } from '../domain/amounts.js';
import type { UnionPayCredentials } from '../provider/credentials.js';
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

type Fields = Record<string, string>;

const VERSION = '5.1.0';
/** The holder UnionPay's signing certificates name (third part of their CN), as UnionPay's SDKs check. */
const UNIONPAY_NAME = '中国银联股份有限公司';
const NUMERIC: Record<Currency, string> = { CNY: '156', HKD: '344', MOP: '446' };
const ALPHA: Record<string, Currency> = { '156': 'CNY', '344': 'HKD', '446': 'MOP' };
/** Answers that mean "accepted, outcome not known yet". */
const IN_PROCESS = ['03', '04', '05'];
/** Answers about the call itself (format, signature, system busy), not a refusal of the transaction. */
const CALL_TROUBLE = ['02', '06', '10', '11', '13'];

/** signMethod 01: the fields but signature, sorted by name, `k=v` joined by `&`, hashed to lowercase SHA-256 hex. */
export function unionPayDigest(fields: Fields): string {
  const content = Object.keys(fields)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** Form fields; a repeated name is refused (the signature must cover exactly what is read). */
function parseForm(text: string): Fields {
  const entries = [...new URLSearchParams(text)];
  const fields = Object.fromEntries(entries);
  if (entries.length === 0 || Object.keys(fields).length !== entries.length) throw new Error('not a UnionPay message');
  return fields;
}

/** MMDDhhmmss (traceTime and file times carry no year) -> the Beijing instant of that form nearest to `near`. */
function nearest(mmddhhmmss: string, near: Date): Date {
  const year = Number(shanghaiCompact(near).slice(0, 4));
  const distance = (d: Date): number => Math.abs(d.getTime() - near.getTime());
  return [year - 1, year, year + 1].map((y) => parseShanghaiTime(`${y}${mmddhhmmss}`)).reduce((a, b) => (distance(b) < distance(a) ? b : a));
}

function tradeStatus(origRespCode: string): ProviderTrade['status'] {
  if (origRespCode === '00') return 'SUCCEEDED';
  return IN_PROCESS.includes(origRespCode) ? 'PENDING' : 'FAILED';
}

/**
 * UnionPay online gateway (UPOP / 全渠道 5.1.0, signMethod 01), merchant-presented
 * QR. Requests are form-encoded and signed with our key: SHA256withRSA over
 * the lowercase SHA-256 hex of the sorted `k=v&...` fields, base64, with our
 * certId. Answers and back notifications carry UnionPay's signing
 * certificate (signPubKeyCert): it is trusted only when the configured
 * middle certificate issued it, the configured root issued that, both are
 * within their validity and it names 中国银联股份有限公司, as UnionPay's SDKs
 * check; the message must then verify with its key. A notification is
 * acknowledged by HTTP 200.
 */
export class UnionPayAdapter implements PaymentProvider {
  readonly code = 'UNIONPAY' as const;
  readonly currency: Currency = 'CNY';
  readonly merchantId: string;
  private readonly credentials: UnionPayCredentials;

  constructor(
    credentials: unknown,
    private readonly resolveUrl: (url: string) => string,
  ) {
    this.credentials = requireFields<UnionPayCredentials>('UNIONPAY', credentials, ['gateway', 'merId', 'certId', 'privateKey', 'rootCert', 'middleCert']);
    this.merchantId = this.credentials.merId;
    this.root = new X509Certificate(this.credentials.rootCert);
    this.middle = new X509Certificate(this.credentials.middleCert);
    if (!this.middle.checkIssued(this.root) || !this.middle.verify(this.root.publicKey)) {
      throw new Error('UNIONPAY: middleCert is not issued by rootCert');
    }
  }

  private readonly root: X509Certificate;
  private readonly middle: X509Certificate;
  /** Signing certificates already checked, by PEM (UnionPay sends the same one in every message until it rotates). */
  private readonly trusted = new Map<string, X509Certificate>();

  /** UnionPay's signing certificate from a message, if it chains to the configured middle and root certificates and is valid now. */
  private signingCertificate(pem: string | undefined): X509Certificate | undefined {
    if (!pem) return undefined;
    let cert = this.trusted.get(pem);
    if (!cert) {
      try {
        cert = new X509Certificate(pem);
      } catch {
        return undefined;
      }
      const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
      if (!cert.checkIssued(this.middle) || !cert.verify(this.middle.publicKey) || cn.split('@')[2] !== UNIONPAY_NAME) return undefined;
      if (this.trusted.size > 16) this.trusted.clear();
      this.trusted.set(pem, cert);
    }
    const now = Date.now();
    const within = (c: X509Certificate) => new Date(c.validFrom).getTime() <= now && now <= new Date(c.validTo).getTime();
    return within(cert) && within(this.middle) && within(this.root) ? cert : undefined;
  }

  private verifies(fields: Fields): boolean {
    const cert = this.signingCertificate(fields.signPubKeyCert);
    if (!cert || !fields.signature) return false;
    try {
      return createVerify('RSA-SHA256').update(unionPayDigest(fields), 'utf8').verify(cert.publicKey, fields.signature, 'base64');
    } catch {
      return false;
    }
  }

  /** POSTs the signed request to {gateway}/gateway/api/<path>; the answer must verify and be ours. */
  private async call(path: string, request: Fields): Promise<Fields> {
    const fields: Fields = { version: VERSION, encoding: 'UTF-8', signMethod: '01', certId: this.credentials.certId, merId: this.merchantId, accessType: '0', bizType: '000000', ...request };
    fields.signature = createSign('RSA-SHA256').update(unionPayDigest(fields), 'utf8').sign(this.credentials.privateKey, 'base64');
    const url = `${this.resolveUrl(this.credentials.gateway).replace(/\/+$/, '')}/gateway/api/${path}`;
    const reply = await providerFetch('UNIONPAY', url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams(fields).toString(),
    });
    if (reply.status !== 200) throw new ProviderCallError('UNIONPAY', `${path} answered HTTP ${reply.status}`);
    let answer: Fields;
    try {
      answer = parseForm(reply.text);
    } catch (err) {
      throw new ProviderCallError('UNIONPAY', `${path}: unparsable answer`, { cause: err });
    }
    if (!this.verifies(answer)) throw new ProviderCallError('UNIONPAY', `${path}: answer signature does not verify`);
    if (answer.merId !== this.merchantId || (request.orderId && answer.orderId !== request.orderId)) {
      throw new ProviderCallError('UNIONPAY', `${path}: answer is about another merchant or order`);
    }
    return answer;
  }

  private refused(what: string, answer: Fields): ProviderCallError {
    return new ProviderCallError('UNIONPAY', `${what} refused: ${answer.respCode} ${answer.respMsg ?? ''}`);
  }

  async createPayment(request: CreatePaymentRequest): Promise<Checkout> {
    const answer = await this.call('backTransReq.do', {
      txnType: '01',
      txnSubType: '07',
      channelType: '08',
      orderId: request.outTradeNo,
      txnTime: shanghaiCompact(new Date()),
      txnAmt: request.amount.toString(),
      currencyCode: NUMERIC[request.currency],
      backUrl: request.notifyUrl,
      payTimeout: shanghaiCompact(request.expiresAt),
    });
    if (answer.respCode !== '00' || !answer.qrCode) throw this.refused('consume', answer);
    // UnionPay numbers the consume (queryId) only once it is paid: until then it is known by our orderId
    return { providerTradeId: request.outTradeNo, qrPayload: answer.qrCode };
  }

  /** queryTrans.do by orderId alone: the original txnTime the real API also asks for is not known here. */
  private queryTrans(orderId: string): Promise<Fields> {
    return this.call('queryTrans.do', { txnType: '00', txnSubType: '00', orderId });
  }

  async queryPayment(outTradeNo: string): Promise<ProviderTrade> {
    const answer = await this.queryTrans(outTradeNo);
    if (answer.respCode === '34') return { outTradeNo, status: 'NOT_FOUND' };
    if (answer.respCode !== '00' || !answer.origRespCode) throw this.refused('query', answer);
    const currency = ALPHA[answer.currencyCode];
    if (!currency) throw new ProviderCallError('UNIONPAY', `query: unknown currencyCode ${answer.currencyCode}`);
    const status = tradeStatus(answer.origRespCode);
    try {
      return {
        outTradeNo,
        providerTradeId: answer.queryId,
        status,
        amount: fromMinorString(answer.txnAmt),
        currency,
        merchantId: answer.merId,
        paidAt: status === 'SUCCEEDED' && answer.traceTime ? nearest(answer.traceTime, parseShanghaiTime(answer.txnTime)) : undefined,
      };
    } catch (err) {
      throw new ProviderCallError('UNIONPAY', `query: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * UnionPay cannot close an unpaid QR order (it lapses at payTimeout): the
   * sandbox takes a cancel (txnType 31) of the unpaid consume as the close.
   */
  async closePayment(outTradeNo: string): Promise<CloseResult> {
    const trade = await this.queryPayment(outTradeNo);
    if (trade.status === 'NOT_FOUND') return 'NOT_FOUND';
    if (trade.status === 'SUCCEEDED') return 'ALREADY_PAID';
    const answer = await this.call('backTransReq.do', {
      txnType: '31',
      txnSubType: '00',
      channelType: '08',
      orderId: `C${outTradeNo}`.slice(0, 40),
      origQryId: trade.providerTradeId ?? '',
      txnAmt: (trade.amount ?? 0n).toString(),
      txnTime: shanghaiCompact(new Date()),
    });
    if (answer.respCode === '00') return 'CLOSED';
    // the payer may have paid in between
    if ((await this.queryPayment(outTradeNo)).status === 'SUCCEEDED') return 'ALREADY_PAID';
    throw this.refused('cancel', answer);
  }

  /**
   * A refund (txnType 04) names the paid consume by its queryId, so the trade
   * is queried first; an accepted (00) or repeated (12) refund is then
   * queried by its own orderId for the outcome.
   */
  async refund(request: RefundRequest): Promise<RefundResult> {
    const trade = await this.queryPayment(request.outTradeNo);
    // we refund only what UnionPay told us was paid: a query saying otherwise is not a refusal to act on
    if (trade.status !== 'SUCCEEDED' || !trade.providerTradeId) throw new ProviderCallError('UNIONPAY', `refund: the trade queries as ${trade.status}`);
    const answer = await this.call('backTransReq.do', {
      txnType: '04',
      txnSubType: '00',
      channelType: '08',
      orderId: request.outRefundNo,
      origQryId: trade.providerTradeId,
      txnAmt: request.amount.toString(),
      txnTime: shanghaiCompact(new Date()),
    });
    if (IN_PROCESS.includes(answer.respCode)) return { status: 'PENDING' };
    if (CALL_TROUBLE.includes(answer.respCode)) throw this.refused('refund', answer);
    if (answer.respCode !== '00' && answer.respCode !== '12') return { status: 'FAILED', reason: `${answer.respCode}: ${answer.respMsg ?? ''}` };
    const outcome = await this.queryTrans(request.outRefundNo);
    if (outcome.respCode === '34' || IN_PROCESS.includes(outcome.origRespCode)) return { status: 'PENDING', providerRefundId: answer.queryId };
    if (outcome.respCode !== '00') throw this.refused('refund query', outcome);
    if (outcome.txnAmt !== request.amount.toString()) return { status: 'FAILED', reason: `refund number already used for ${outcome.txnAmt}` };
    if (outcome.origRespCode !== '00') return { status: 'FAILED', reason: `${outcome.origRespCode}: ${outcome.origRespMsg ?? ''}` };
    return { status: 'SUCCEEDED', providerRefundId: outcome.queryId };
  }

  parseNotification(input: NotificationInput): ProviderNotification {
    let fields: Fields;
    try {
      fields = parseForm(input.rawBody.toString('utf8'));
    } catch {
      throw new NotificationRejectedError('not a form-encoded UnionPay notification');
    }
    if (fields.signMethod !== '01' || !this.verifies(fields)) throw new NotificationRejectedError('signature does not verify with a UnionPay certificate issued under the configured root');
    for (const name of ['orderId', 'queryId', 'respCode', 'txnAmt', 'merId', 'currencyCode', 'txnTime']) {
      if (!fields[name]) throw new NotificationRejectedError(`missing ${name}`);
    }
    if (fields.txnType !== '01') throw new NotificationRejectedError(`not a consume (txnType ${fields.txnType})`);
    const currency = ALPHA[fields.currencyCode];
    if (!currency) throw new NotificationRejectedError(`unsupported currencyCode ${fields.currencyCode}`);
    try {
      const status = fields.respCode === '00' ? 'SUCCEEDED' : 'FAILED';
      return {
        notificationId: fields.queryId + fields.respCode,
        merchantId: fields.merId,
        outTradeNo: fields.orderId,
        providerTradeId: fields.queryId,
        status,
        amount: fromMinorString(fields.txnAmt),
        currency,
        paidAt: status === 'SUCCEEDED' && fields.traceTime ? nearest(fields.traceTime, parseShanghaiTime(fields.txnTime)) : undefined,
      };
    } catch (err) {
      throw new NotificationRejectedError((err as Error).message);
    }
  }

  notificationReply(accepted: boolean): NotificationReply {
    return { status: accepted ? 200 : 400, contentType: 'text/plain; charset=utf-8', body: accepted ? 'ok' : 'fail' };
  }

  /**
   * fileTransReq.do (txnType 76, fileType 00) for the day's MMDD; fileContent
   * is the deflated, base64 CSV (amounts in fen, times MMDDhhmmss given their
   * year from the day asked for).
   */
  async fetchSettlement(date: string): Promise<SettlementRow[]> {
    const { start } = shanghaiDayRange(date);
    const settleDate = date.slice(5, 7) + date.slice(8, 10);
    const answer = await this.call('fileTransReq.do', { txnType: '76', txnSubType: '01', fileType: '00', settleDate, txnTime: shanghaiCompact(new Date()) });
    if (answer.respCode !== '00' || answer.settleDate !== settleDate || answer.fileContent === undefined) throw this.refused('file transfer', answer);
    try {
      const csv = inflateSync(Buffer.from(answer.fileContent, 'base64')).toString('utf8');
      return readCsv(csv)
        .filter((r) => r.txnType === '01' || r.txnType === '04')
        .map((r) => {
          const refund = r.txnType === '04';
          const currency = ALPHA[r.currencyCode];
          if (!currency) throw new Error(`unknown currencyCode ${r.currencyCode}`);
          return {
            type: refund ? ('REFUND' as const) : ('PAYMENT' as const),
            outTradeNo: refund ? r.origOrderId : r.orderId,
            outRefundNo: refund ? r.orderId : undefined,
            providerTradeId: refund ? r.origQryId : r.queryId,
            amount: fromMinorString(r.txnAmt),
            currency,
            at: nearest(r.traceTime, start),
          };
        });
    } catch (err) {
      throw new ProviderCallError('UNIONPAY', `settlement file ${date}: ${(err as Error).message}`, { cause: err });
    }
  }
}
