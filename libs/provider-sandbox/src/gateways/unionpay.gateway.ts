import { Controller, HttpCode, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, createSign, createVerify, randomInt } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, shanghaiCompact } from '@app/common';
import { GatewayOutage } from '../gateway-outage.interceptor.js';
import { SandboxKeysService } from '../sandbox-keys.service.js';
import { SandboxStore } from '../sandbox-store.service.js';
import type {
  GatewaySecrets,
  KeyPair,
  NotificationOverrides,
  OutgoingNotification,
  SandboxGateway,
  SandboxTrade,
  SettlementEntry,
} from '../sandbox.types.js';
import { corrupt } from './wire.js';
import { issueCertificate } from './x509.js';
import type { DistinguishedName } from './x509.js';

type Fields = Record<string, string>;

const VERSION = '5.1.0';
const DAY_MS = 24 * 3600_000;
const OK = { respCode: '00', respMsg: '成功[0000000]' };

/** ISO 4217 numeric codes UnionPay writes in currencyCode; 999 ("no currency") for anything else. */
const NUMERIC: Record<string, string> = { CNY: '156', HKD: '344', MOP: '446', USD: '840' };
const ALPHA: Record<string, string> = Object.fromEntries(Object.entries(NUMERIC).map(([alpha, num]) => [num, alpha]));
const numeric = (currency: string): string => NUMERIC[currency] ?? '999';

/** signMethod 01: every field but signature, sorted by name, `k=v` joined by `&`; SHA-256 of it as lowercase hex. */
function digest(fields: Fields): string {
  const content = Object.keys(fields)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** signature = base64 of SHA256withRSA over the hex digest. */
function sign(fields: Fields, privateKey: string): Fields {
  return { ...fields, signature: createSign('RSA-SHA256').update(digest(fields), 'utf8').sign(privateKey, 'base64') };
}

function verifies(fields: Fields, publicKey: string): boolean {
  try {
    return !!fields.signature && createVerify('RSA-SHA256').update(digest(fields), 'utf8').verify(publicKey, fields.signature, 'base64');
  } catch {
    return false;
  }
}

/** yyyyMMddHHmmss, Beijing time (txnTime, payTimeout; traceTime is its last 10 digits, settleDate digits 4-8). */
const compact = shanghaiCompact;

function parseCompact(text: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text ?? '');
  if (!m) return undefined;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** A settleDate (MMDD, no year) -> the latest such Beijing day not after now. */
function settleDay(mmdd: string, now: Date): Date | undefined {
  const year = Number(compact(now).slice(0, 4));
  for (const y of [year, year - 1]) {
    const start = parseCompact(`${y}${mmdd}000000`);
    if (start && compact(start).slice(4, 8) === mmdd && start <= now) return start;
  }
  return undefined;
}

const CFCA = 'China Financial Certification Authority';
const ROOT: DistinguishedName = { C: 'CN', O: CFCA, CN: 'CFCA TEST CS CA (city-pay sandbox)' };
const MIDDLE: DistinguishedName = { C: 'CN', O: CFCA, CN: 'CFCA TEST OCA1 (city-pay sandbox)' };
/** UnionPay's signing certificate names its holder third in an @-separated CN, as the real one does. */
export const UNIONPAY_SIGN_SUBJECT: DistinguishedName = { C: 'CN', O: CFCA, OU: 'Local RA', CN: `041@Z12@中国银联股份有限公司@${'0'.repeat(7)}1` };

/** A root, a middle certificate it issued, and UnionPay's signing certificate the middle one issued. */
export function certificateChain(root: KeyPair, middle: KeyPair, signingPublicKey: string, now = new Date()): { rootCert: string; middleCert: string; signCert: string } {
  const notBefore = new Date(now.getTime() - DAY_MS);
  const years = (n: number) => new Date(now.getTime() + n * 365 * DAY_MS);
  return {
    rootCert: issueCertificate({ subject: ROOT, issuer: ROOT, publicKey: root.publicKey, issuerPrivateKey: root.privateKey, ca: true, notBefore, notAfter: years(20) }),
    middleCert: issueCertificate({ subject: MIDDLE, issuer: ROOT, publicKey: middle.publicKey, issuerPrivateKey: root.privateKey, ca: true, notBefore, notAfter: years(10) }),
    signCert: issueCertificate({ subject: UNIONPAY_SIGN_SUBJECT, issuer: MIDDLE, publicKey: signingPublicKey, issuerPrivateKey: middle.privateKey, ca: false, notBefore, notAfter: years(5) }),
  };
}

/** A 21-digit queryId, as UnionPay numbers transactions. */
const newQueryId = (): string => SandboxStore.tradeNumber('').slice(3);
const digits = (n: number): string => Array.from({ length: n }, () => randomInt(10)).join('');
const refusal = (respCode: string, respMsg: string): Fields => ({ respCode, respMsg });
const ORDER_ID = /^[0-9A-Za-z]{8,40}$/;
const AMOUNT = /^[1-9]\d{0,11}$/;

function lacking(fields: Fields, names: string[]): Fields | undefined {
  const missing = names.filter((n) => !fields[n]);
  return missing.length > 0 ? refusal('13', `报文交易要素缺失 ${missing.join(',')}`) : undefined;
}

/** Form fields, refusing repeated names (the signature must cover exactly what is read). */
function parseForm(text: string): Fields | undefined {
  const entries = [...new URLSearchParams(text)];
  const fields = Object.fromEntries(entries);
  return entries.length > 0 && Object.keys(fields).length === entries.length ? fields : undefined;
}

/** The day's transactions as a CSV: amounts in fen, times MMDDhhmmss as UnionPay's files write them (no year). */
function settlementCsv(entries: SettlementEntry[]): string {
  const rows = entries.map((e) => {
    const refund = e.type === 'REFUND' && e.refund;
    return [
      refund ? '04' : '01',
      refund ? refund.outRefundNo : e.trade.outTradeNo,
      refund ? e.trade.outTradeNo : '',
      refund ? refund.refundNo : e.trade.tradeNo,
      refund ? e.trade.tradeNo : '',
      e.amount.toString(),
      numeric(e.trade.currency),
      compact(e.at).slice(4),
    ].join(',');
  });
  return ['txnType,orderId,origOrderId,queryId,origQryId,txnAmt,currencyCode,traceTime', ...rows].join('\n') + '\n';
}

/**
 * UnionPay online gateway (UPOP / 全渠道 5.1.0, signMethod 01): form-encoded
 * requests whose `signature` (SHA256withRSA over the SHA-256 hex of the
 * sorted `k=v&...` fields) verifies with the merchant key of its certId and
 * merId; answers and back notifications are signed the same way with the
 * gateway key, which they carry as an X.509 certificate in `signPubKeyCert`
 * (issued by a middle certificate under a root, both handed to the merchant
 * at provisioning as UnionPay hands out acp_root.cer and acp_middle.cer).
 * Notifications are acknowledged by any HTTP 200.
 */
export class UnionPaySandboxGateway implements SandboxGateway {
  readonly provider = 'UNIONPAY' as const;

  async provision(newKeyPair: () => Promise<KeyPair>): Promise<{ merchant: Record<string, unknown>; gateway: GatewaySecrets }> {
    const [merchant, unionPay, root, middle] = await Promise.all([newKeyPair(), newKeyPair(), newKeyPair(), newKeyPair()]);
    const merId = '777290058' + digits(6);
    const merchantCertId = '6' + digits(10);
    const chain = certificateChain(root, middle, unionPay.publicKey);
    return {
      merchant: {
        gateway: '/sandbox/unionpay',
        merId,
        certId: merchantCertId,
        privateKey: merchant.privateKey,
        rootCert: chain.rootCert,
        middleCert: chain.middleCert,
      },
      gateway: { merId, merchantCertId, merchantPublicKey: merchant.publicKey, signCert: chain.signCert, privateKey: unionPay.privateKey },
    };
  }

  /** Accounts opened before the gateway presented certificates are opened again. */
  outdated(secrets: GatewaySecrets): boolean {
    return !secrets.signCert;
  }

  notification(trade: SandboxTrade, secrets: GatewaySecrets, overrides: NotificationOverrides): OutgoingNotification {
    const respCode = trade.status === 'PAID' ? '00' : '01';
    // the notification is known by its transaction's queryId: an overridden id stands in for it
    const queryId = overrides.notificationId ?? trade.tradeNo;
    const amount = (overrides.amount ?? trade.amount).toString();
    const at = compact(trade.paidAt ?? new Date());
    const fields: Fields = {
      accessType: '0',
      bizType: '000000',
      currencyCode: numeric(overrides.currency ?? trade.currency),
      encoding: 'UTF-8',
      merId: overrides.merchantId ?? secrets.merId,
      orderId: trade.outTradeNo,
      queryId,
      respCode,
      respMsg: respCode === '00' ? 'Success!' : '交易失败',
      settleAmt: amount,
      settleCurrencyCode: '156',
      settleDate: at.slice(4, 8),
      signMethod: '01',
      signPubKeyCert: secrets.signCert,
      traceNo: trade.tradeNo.slice(-6),
      traceTime: at.slice(4),
      txnAmt: amount,
      txnSubType: '07',
      txnTime: compact(trade.createdAt),
      txnType: '01',
      version: VERSION,
    };
    const signed = sign(fields, secrets.privateKey);
    if (overrides.corruptSignature) signed.signature = corrupt(signed.signature);
    return {
      notificationId: queryId + respCode,
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams(signed).toString(),
    };
  }

  acknowledged(status: number): boolean {
    return status === 200;
  }

  settlementFile(entries: SettlementEntry[]): { contentType: string; body: string } {
    return { contentType: 'text/csv; charset=utf-8', body: settlementCsv(entries) };
  }
}

type Request = FastifyRequest & { rawBody?: Buffer };

/**
 * The UnionPay gateway's back-end API: backTransReq.do (QR consume 01/07,
 * refund 04, and cancel 31 which here closes an unpaid trade),
 * queryTrans.do (00) and fileTransReq.do (76: the settlement file, deflated
 * and base64 in fileContent). Every answer is HTTP 200 with a signed respCode.
 */
@ApiExcludeController()
@Public()
@UseInterceptors(GatewayOutage)
@Controller('sandbox/unionpay/gateway/api')
export class UnionPayGatewayController {
  constructor(
    private readonly store: SandboxStore,
    private readonly keys: SandboxKeysService,
  ) {}

  @Post('backTransReq.do')
  @HttpCode(200)
  backTrans(@Req() req: Request, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.serve(req, reply, (f, secrets) => {
      if (f.txnType === '01' && f.txnSubType === '07') return this.consume(f, secrets);
      if (f.txnType === '04') return this.refund(f);
      if (f.txnType === '31') return this.cancel(f);
      return Promise.resolve(refusal('32', '无此交易权限'));
    });
  }

  @Post('queryTrans.do')
  @HttpCode(200)
  queryTrans(@Req() req: Request, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.serve(req, reply, (f) => (f.txnType === '00' ? this.query(f) : Promise.resolve(refusal('32', '无此交易权限'))));
  }

  @Post('fileTransReq.do')
  @HttpCode(200)
  fileTrans(@Req() req: Request, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.serve(req, reply, (f, secrets) => (f.txnType === '76' ? this.file(f, secrets) : Promise.resolve(refusal('32', '无此交易权限'))));
  }

  /** Checks the format and signature, runs the transaction, answers the signed fields (request echoes + result). */
  private async serve(req: Request, reply: FastifyReply, handle: (f: Fields, secrets: GatewaySecrets) => Promise<Fields>): Promise<string> {
    const secrets = await this.keys.gatewaySecrets('UNIONPAY');
    const fields = parseForm(req.rawBody?.toString('utf8') ?? '') ?? {};
    let result: Fields;
    if (fields.version !== VERSION || fields.signMethod !== '01' || fields.encoding !== 'UTF-8') result = refusal('10', '报文格式错误');
    else if (fields.certId !== secrets.merchantCertId || fields.merId !== secrets.merId || !verifies(fields, secrets.merchantPublicKey)) {
      result = refusal('11', '验证签名失败');
    } else result = await handle(fields, secrets).catch(() => refusal('06', '系统繁忙，请稍后再试'));
    const echoed = ['accessType', 'bizType', 'merId', 'orderId', 'txnSubType', 'txnTime', 'txnType'].filter((k) => fields[k] !== undefined);
    const answer: Fields = {
      version: VERSION,
      encoding: 'UTF-8',
      signMethod: '01',
      signPubKeyCert: secrets.signCert,
      ...Object.fromEntries(echoed.map((k) => [k, fields[k]])),
      ...result,
    };
    void reply.header('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return new URLSearchParams(sign(answer, secrets.privateKey)).toString();
  }

  private async consume(f: Fields, secrets: GatewaySecrets): Promise<Fields> {
    const lack = lacking(f, ['orderId', 'txnTime', 'txnAmt', 'currencyCode', 'backUrl', 'channelType']);
    if (lack) return lack;
    const expiresAt = f.payTimeout ? parseCompact(f.payTimeout) : new Date(Date.now() + 2 * 3600_000);
    if (!ORDER_ID.test(f.orderId) || !AMOUNT.test(f.txnAmt) || !ALPHA[f.currencyCode] || !parseCompact(f.txnTime) || !expiresAt || !/^https?:\/\//.test(f.backUrl)) {
      return refusal('10', '报文格式错误');
    }
    const result = await this.store.createTrade({
      provider: 'UNIONPAY',
      outTradeNo: f.orderId,
      tradeNo: newQueryId(),
      merchantId: secrets.merId,
      amount: BigInt(f.txnAmt),
      currency: ALPHA[f.currencyCode],
      subject: f.orderDesc ?? '',
      notifyUrl: f.backUrl,
      expiresAt,
    });
    if ('conflict' in result) return refusal('12', '重复交易');
    return { ...OK, qrCode: `https://qr.95516.com/00010000/01${result.trade.tradeNo}` };
  }

  /** By orderId alone (the real gateway also wants the original txnTime): a trade, else a refund. */
  private async query(f: Fields): Promise<Fields> {
    if (!f.orderId) return refusal('13', '报文交易要素缺失 orderId');
    const trade = await this.store.find('UNIONPAY', f.orderId);
    if (trade) return tradeAnswer(trade);
    const refund = await this.store.findRefund('UNIONPAY', f.orderId);
    if (!refund) return refusal('34', '查无此交易');
    return {
      ...OK,
      origRespCode: '00',
      origRespMsg: '成功[0000000]',
      queryId: refund.refundNo,
      txnAmt: refund.amount.toString(),
      txnTime: compact(refund.createdAt),
      traceTime: compact(refund.createdAt).slice(4),
    };
  }

  /** Refunds complete at once here; the refund number (orderId) is used once: again is 12. */
  private async refund(f: Fields): Promise<Fields> {
    const lack = lacking(f, ['orderId', 'origQryId', 'txnAmt', 'txnTime']);
    if (lack) return lack;
    if (!ORDER_ID.test(f.orderId) || !AMOUNT.test(f.txnAmt)) return refusal('10', '报文格式错误');
    const trade = await this.store.find('UNIONPAY', f.origQryId);
    if (trade?.tradeNo !== f.origQryId) return refusal('35', '原交易不存在或状态不正确');
    const outcome = await this.store.refund('UNIONPAY', trade.outTradeNo, f.orderId, BigInt(f.txnAmt), newQueryId());
    if (!outcome.ok) return outcome.reason === 'REFUND_AMOUNT_EXCEEDED' ? refusal('33', '交易金额超限') : refusal('35', '原交易不存在或状态不正确');
    if (outcome.duplicate) return refusal('12', '重复交易');
    return { ...OK, queryId: outcome.refund.refundNo, origQryId: f.origQryId, txnAmt: f.txnAmt };
  }

  /** 消费撤销 of an unpaid trade closes it (the sandbox voids no paid trade: refund those). */
  private async cancel(f: Fields): Promise<Fields> {
    const lack = lacking(f, ['orderId', 'origQryId', 'txnAmt', 'txnTime']);
    if (lack) return lack;
    const trade = await this.store.find('UNIONPAY', f.origQryId);
    if (trade?.tradeNo !== f.origQryId) return refusal('35', '原交易不存在或状态不正确');
    if (f.txnAmt !== trade.amount.toString()) return refusal('36', '与原交易信息不符');
    if ((await this.store.close('UNIONPAY', trade.outTradeNo)) !== 'CLOSED') return refusal('35', '原交易不存在或状态不正确');
    return { ...OK, queryId: newQueryId(), origQryId: f.origQryId, txnAmt: f.txnAmt };
  }

  private async file(f: Fields, secrets: GatewaySecrets): Promise<Fields> {
    const start = f.fileType === '00' && /^\d{4}$/.test(f.settleDate ?? '') ? settleDay(f.settleDate, new Date()) : undefined;
    if (!start) return refusal('10', '报文格式错误');
    const entries = await this.store.settlementEntries('UNIONPAY', start, new Date(start.getTime() + DAY_MS));
    return {
      ...OK,
      fileType: '00',
      settleDate: f.settleDate,
      fileName: `INN${compact(start).slice(2, 8)}88ZM_${secrets.merId}.csv`,
      fileContent: deflateSync(Buffer.from(settlementCsv(entries), 'utf8')).toString('base64'),
    };
  }
}

/** A consume as queryTrans.do reports it: origRespCode 00 paid, 05 awaiting the payer, 01 failed or closed. */
function tradeAnswer(trade: SandboxTrade): Fields {
  const waiting = trade.status === 'WAITING' && trade.expiresAt > new Date();
  const [origRespCode, origRespMsg] =
    trade.status === 'PAID'
      ? ['00', '成功[0000000]']
      : waiting
        ? ['05', '交易已受理，请稍后查询交易结果']
        : ['01', trade.status === 'FAILED' ? '交易失败' : '交易已关闭'];
  const answer: Fields = {
    ...OK,
    origRespCode,
    origRespMsg,
    queryId: trade.tradeNo,
    txnTime: compact(trade.createdAt),
    txnAmt: trade.amount.toString(),
    currencyCode: numeric(trade.currency),
  };
  if (trade.paidAt) {
    const at = compact(trade.paidAt);
    Object.assign(answer, { settleAmt: answer.txnAmt, settleCurrencyCode: '156', settleDate: at.slice(4, 8), traceNo: trade.tradeNo.slice(-6), traceTime: at.slice(4) });
  }
  return answer;
}
