import { Controller, Get, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createCipheriv, createHash, createHmac, createSign, createVerify, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, shanghaiDateTime, shanghaiDay, shanghaiIso } from '@app/common';
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
import { corrupt, origin, relativeToMount, yuan } from './wire.js';

const SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** Where this gateway is mounted: what the real one serves at https://api.mch.weixin.qq.com/v3/... is /sandbox/wechat-pay/v3/... here. */
const MOUNT = '/sandbox/wechat-pay';
/** How long a bill download URL stays valid (WeChat Pay: 30 s; a little more for slow test machines). */
const BILL_URL_SECONDS = 120;
const MAX_SKEW_SECONDS = 300;

/** WeChat Pay's signing strings: every part followed by "\n". */
const message = (...parts: string[]): string => parts.map((p) => `${p}\n`).join('');
const randomText = (length: number, alphabet: string): string => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
const digits = (length: number): string => randomText(length, '0123456789');
const alphanumeric = (length: number): string => randomText(length, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');

type Json = Record<string, unknown>;
/** An HTTP status and WeChat Pay's JSON body (none for 204). */
type Answer = [number, Json?];

/** The request body as a JSON object (empty for a GET), or undefined. */
function jsonObject(raw: string): Json | undefined {
  try {
    const value: unknown = raw === '' ? {} : JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const fail = (status: number, code: string, message: string): Answer => [status, { code, message }];
const paramError = (detail: string): Answer => fail(400, 'PARAM_ERROR', `参数错误: ${detail}`);

/** The trade_state WeChat Pay reports for a trade, with its description. */
function tradeState(trade: SandboxTrade): [string, string] {
  if (trade.status === 'PAID') return trade.refunded > 0n ? ['REFUND', '转入退款'] : ['SUCCESS', '支付成功'];
  if (trade.status === 'FAILED') return ['PAYERROR', '支付失败'];
  if (trade.status === 'CLOSED' || trade.expiresAt <= new Date()) return ['CLOSED', '订单已关闭'];
  return ['NOTPAY', '订单未支付'];
}

/** The transaction object of the query API and of TRANSACTION.* callbacks. */
function transaction(trade: SandboxTrade, secrets: GatewaySecrets, overrides: NotificationOverrides = {}): Json {
  const [state, description] = tradeState(trade);
  const amount = Number(overrides.amount ?? trade.amount);
  const settled = trade.status === 'PAID' || trade.status === 'FAILED';
  // the payer paid nothing on a failed trade
  const payerTotal = trade.status === 'PAID' ? amount : 0;
  return {
    appid: secrets.appId,
    mchid: overrides.merchantId ?? secrets.mchId,
    out_trade_no: trade.outTradeNo,
    ...(settled ? { transaction_id: trade.tradeNo, trade_type: 'NATIVE', bank_type: 'OTHERS', payer: { openid: `o${trade.tradeNo.slice(-27)}` } } : {}),
    trade_state: state,
    trade_state_desc: description,
    ...(trade.paidAt ? { success_time: shanghaiIso(trade.paidAt) } : {}),
    amount: { total: amount, payer_total: payerTotal, currency: overrides.currency ?? trade.currency, payer_currency: 'CNY' },
  };
}

const BILL_HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';

/**
 * WeChat Pay API v3 (Native pay) gateway: verifies each request's
 * `Authorization: WECHATPAY2-SHA256-RSA2048` signature over METHOD, URL,
 * timestamp, nonce and body with the merchant's public key (401 SIGN_ERROR
 * otherwise), signs every answer and callback with its own key over
 * timestamp, nonce and body (Wechatpay-* headers, serial `PUB_KEY_ID_...`),
 * and encrypts callback resources with the APIv3 key (AEAD_AES_256_GCM).
 */
export class WechatPaySandboxGateway implements SandboxGateway {
  readonly provider = 'WECHAT_PAY' as const;

  async provision(newKeyPair: () => Promise<KeyPair>): Promise<{ merchant: Record<string, unknown>; gateway: GatewaySecrets }> {
    const [merchant, platform] = await Promise.all([newKeyPair(), newKeyPair()]);
    const ids = {
      mchId: '1' + digits(9),
      appId: 'wx' + randomBytes(8).toString('hex'),
      merchantSerialNo: randomBytes(20).toString('hex').toUpperCase(),
      apiV3Key: alphanumeric(32),
    };
    const publicKeyId = 'PUB_KEY_ID_' + digits(28);
    return {
      merchant: {
        gateway: MOUNT,
        ...ids,
        privateKey: merchant.privateKey,
        platformPublicKeys: [{ serial: publicKeyId, publicKey: platform.publicKey }],
      },
      gateway: { ...ids, merchantPublicKey: merchant.publicKey, publicKeyId, privateKey: platform.privateKey },
    };
  }

  /** The Wechatpay-* headers that sign an answer or callback body. */
  signedHeaders(body: string, secrets: GatewaySecrets): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    return {
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': createSign('RSA-SHA256').update(message(timestamp, nonce, body), 'utf8').sign(secrets.privateKey, 'base64'),
      'Wechatpay-Serial': secrets.publicKeyId,
    };
  }

  /** Why a request's Authorization header does not hold, or undefined when it does. */
  authenticate(request: { method: string; url: string; body: string; authorization?: string }, secrets: GatewaySecrets): string | undefined {
    const m = new RegExp(`^${SCHEME} (.+)$`).exec(request.authorization ?? '');
    if (!m) return `Authorization 缺失或认证类型不是 ${SCHEME}`;
    const f = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (f.mchid !== secrets.mchId) return '商户号 mchid 与证书不匹配';
    if (f.serial_no !== secrets.merchantSerialNo) return `商户证书序列号 ${f.serial_no ?? ''} 无效`;
    if (!/^\d{1,12}$/.test(f.timestamp ?? '') || Math.abs(Date.now() / 1000 - Number(f.timestamp)) > MAX_SKEW_SECONDS) return '时间戳 timestamp 已过期';
    if (!f.nonce_str || !f.signature) return '缺少 nonce_str 或 signature';
    const valid = createVerify('RSA-SHA256')
      .update(message(request.method, request.url, f.timestamp, f.nonce_str, request.body), 'utf8')
      .verify(secrets.merchantPublicKey, f.signature, 'base64');
    return valid ? undefined : '错误的签名，验签失败';
  }

  /** WeChat Pay calls back on success only (TRANSACTION.SUCCESS): a failed payment is found by query. */
  notification(trade: SandboxTrade, secrets: GatewaySecrets, overrides: NotificationOverrides): OutgoingNotification | undefined {
    if (trade.status !== 'PAID') return undefined;
    const notificationId = SandboxStore.notificationId(trade, overrides);
    const tx = transaction(trade, secrets, overrides);
    const nonce = alphanumeric(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(secrets.apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
    cipher.setAAD(Buffer.from('transaction', 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(tx), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
    const body = JSON.stringify({
      id: notificationId,
      create_time: shanghaiIso(new Date()),
      resource_type: 'encrypt-resource',
      event_type: `TRANSACTION.${String(tx.trade_state)}`,
      summary: String(tx.trade_state_desc),
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'transaction', nonce },
    });
    const headers = this.signedHeaders(body, secrets);
    if (overrides.corruptSignature) headers['Wechatpay-Signature'] = corrupt(headers['Wechatpay-Signature']);
    return {
      notificationId,
      headers: { 'content-type': 'application/json', 'Wechatpay-Signature-Type': SCHEME, ...headers },
      body,
    };
  }

  /** A bill download token: the day and an expiry, MACed with a key only the gateway holds. */
  billToken(date: string, secrets: GatewaySecrets, expires = Math.floor(Date.now() / 1000) + BILL_URL_SECONDS): string {
    const payload = `${date}.${expires}`;
    const mac = createHmac('sha256', secrets.privateKey).update(payload).digest('base64url');
    return Buffer.from(`${payload}.${mac}`, 'utf8').toString('base64url');
  }

  /** The day a bill download token names, or undefined when it is forged or expired. */
  billDate(token: string, secrets: GatewaySecrets): string | undefined {
    const [date, expires, mac] = Buffer.from(token, 'base64url').toString('utf8').split('.');
    if (!date || !expires || !mac || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{1,12}$/.test(expires)) return undefined;
    const expected = Buffer.from(this.billToken(date, secrets, Number(expires)), 'base64url').toString('utf8').split('.')[2];
    if (expected.length !== mac.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(mac))) return undefined;
    return Number(expires) >= Date.now() / 1000 ? date : undefined;
  }

  acknowledged(status: number): boolean {
    return status >= 200 && status < 300;
  }

  /** Like WeChat Pay's ALL trade bill: a header line, backtick-prefixed values in yuan, then the summary lines. */
  settlementFile(entries: SettlementEntry[], secrets: GatewaySecrets): { contentType: string; body: string } {
    const row = (e: SettlementEntry): string => {
      const refund = e.type === 'REFUND';
      return [
        shanghaiDateTime(e.at),
        secrets.appId,
        secrets.mchId,
        '0',
        '',
        e.trade.tradeNo,
        e.trade.outTradeNo,
        `o${e.trade.tradeNo.slice(-27)}`,
        'NATIVE',
        refund ? 'REFUND' : 'SUCCESS',
        'OTHERS',
        e.trade.currency,
        yuan(e.trade.amount),
        '0.00',
        e.refund?.refundNo ?? '0',
        e.refund?.outRefundNo ?? '0',
        refund ? yuan(e.amount) : '0.00',
        '0.00',
        refund ? 'ORIGINAL' : '',
        refund ? 'SUCCESS' : '',
        e.trade.subject.replace(/[,\r\n`]/g, ' '),
        '',
        '0.00',
        '0.00%',
        yuan(e.trade.amount),
        refund ? yuan(e.amount) : '0.00',
        '',
      ]
        .map((v) => '`' + v)
        .join(',');
    };
    const sum = (type: SettlementEntry['type']): string => yuan(entries.filter((e) => e.type === type).reduce((s, e) => s + e.amount, 0n));
    const lines = [
      BILL_HEADER,
      ...entries.map(row),
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      [String(entries.length), sum('PAYMENT'), sum('REFUND'), '0.00', '0.00', sum('PAYMENT'), sum('REFUND')].map((v) => '`' + v).join(','),
    ];
    return { contentType: 'text/csv; charset=utf-8', body: lines.join('\r\n') + '\r\n' };
  }
}

type WireRequest = FastifyRequest & { rawBody?: Buffer };

@ApiExcludeController()
@Public()
@UseInterceptors(GatewayOutage)
@Controller('sandbox/wechat-pay')
export class WechatPayGatewayController {
  private readonly wire = new WechatPaySandboxGateway();

  constructor(
    private readonly store: SandboxStore,
    private readonly keys: SandboxKeysService,
  ) {}

  @Post('v3/pay/transactions/native')
  native(@Req() req: WireRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.answer(req, reply, (body, secrets) => this.createNative(body, secrets));
  }

  @Get('v3/pay/transactions/out-trade-no/:outTradeNo')
  query(@Req() req: WireRequest, @Res({ passthrough: true }) reply: FastifyReply, @Param('outTradeNo') outTradeNo: string, @Query('mchid') mchid?: string): Promise<string> {
    return this.answer(req, reply, async (_body, secrets) => {
      if (mchid !== secrets.mchId) return fail(400, 'MCH_NOT_EXISTS', '商户号不存在');
      const trade = await this.store.find('WECHAT_PAY', outTradeNo);
      return trade?.outTradeNo === outTradeNo ? [200, transaction(trade, secrets)] : fail(404, 'ORDER_NOT_EXIST', '订单不存在');
    });
  }

  @Post('v3/pay/transactions/out-trade-no/:outTradeNo/close')
  close(@Req() req: WireRequest, @Res({ passthrough: true }) reply: FastifyReply, @Param('outTradeNo') outTradeNo: string): Promise<string> {
    return this.answer(req, reply, async (body, secrets) => {
      if (body.mchid !== secrets.mchId) return fail(400, 'MCH_NOT_EXISTS', '商户号不存在');
      const result = await this.store.close('WECHAT_PAY', outTradeNo);
      if (result === 'NOT_FOUND') return fail(404, 'ORDER_NOT_EXIST', '订单不存在');
      if (result === 'ALREADY_PAID') return fail(400, 'ORDERPAID', '订单已支付');
      return [204];
    });
  }

  @Post('v3/refund/domestic/refunds')
  refund(@Req() req: WireRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.answer(req, reply, (body) => this.createRefund(body));
  }

  @Get('v3/bill/tradebill')
  tradeBill(@Req() req: WireRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query('bill_date') date = '', @Query('bill_type') type = 'ALL'): Promise<string> {
    return this.answer(req, reply, async (_body, secrets) => {
      const start = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00+08:00`) : new Date(NaN);
      if (Number.isNaN(start.getTime()) || shanghaiDay(start) !== date) return paramError('bill_date 格式应为 YYYY-MM-DD');
      if (type !== 'ALL') return paramError('bill_type 仅支持 ALL');
      const file = await this.billFile(date, secrets);
      return [
        200,
        {
          hash_type: 'SHA1',
          hash_value: createHash('sha1').update(file.body, 'utf8').digest('hex'),
          download_url: `${origin(req)}${MOUNT}/v3/billdownload/file?token=${this.wire.billToken(date, secrets)}`,
        },
      ];
    });
  }

  /** The bill file itself, as the signed URL tradebill handed out names it (the request is signed too, as at WeChat Pay). */
  @Get('v3/billdownload/file')
  async billDownload(@Req() req: WireRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query('token') token = ''): Promise<string> {
    const secrets = await this.keys.gatewaySecrets('WECHAT_PAY');
    const problem = this.wire.authenticate(
      { method: req.method, url: relativeToMount(req.url, MOUNT), body: req.rawBody?.toString('utf8') ?? '', authorization: req.headers.authorization },
      secrets,
    );
    const date = problem ? undefined : this.wire.billDate(token, secrets);
    if (!date) {
      const text = JSON.stringify(problem ? { code: 'SIGN_ERROR', message: problem } : { code: 'INVALID_REQUEST', message: 'token 无效或已过期' });
      void reply.status(problem ? 401 : 400).headers({ ...this.wire.signedHeaders(text, secrets), 'content-type': 'application/json; charset=utf-8' });
      return text;
    }
    const file = await this.billFile(date, secrets);
    void reply.header('content-type', file.contentType);
    return file.body;
  }

  private async billFile(date: string, secrets: GatewaySecrets): Promise<{ contentType: string; body: string }> {
    const start = new Date(`${date}T00:00:00+08:00`);
    const entries = await this.store.settlementEntries('WECHAT_PAY', start, new Date(start.getTime() + 24 * 3600_000));
    return this.wire.settlementFile(entries, secrets);
  }

  /** Authenticates the request, runs the handler and signs whatever it answers (errors included, as WeChat Pay does). */
  private async answer(req: WireRequest, reply: FastifyReply, handler: (body: Json, secrets: GatewaySecrets) => Promise<Answer>): Promise<string> {
    const secrets = await this.keys.gatewaySecrets('WECHAT_PAY');
    const raw = req.rawBody?.toString('utf8') ?? '';
    // signed over the path as the real gateway sees it: relative to where this one is mounted
    const problem = this.wire.authenticate({ method: req.method, url: relativeToMount(req.url, MOUNT), body: raw, authorization: req.headers.authorization }, secrets);
    let result: Answer;
    if (problem) result = fail(401, 'SIGN_ERROR', problem);
    else {
      const body = jsonObject(raw);
      result = body
        ? await handler(body, secrets).catch((): Answer => fail(500, 'SYSTEM_ERROR', '系统异常，请稍后重试'))
        : paramError('请求体不是 JSON 对象');
    }
    const [status, payload] = result;
    const text = payload === undefined ? '' : JSON.stringify(payload);
    void reply.status(status).headers({ ...this.wire.signedHeaders(text, secrets), 'content-type': 'application/json; charset=utf-8' });
    return text;
  }

  private async createNative(body: Json, secrets: GatewaySecrets): Promise<Answer> {
    if (body.appid !== secrets.appId || body.mchid !== secrets.mchId) return fail(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    const { description, out_trade_no: outTradeNo, notify_url: notifyUrl, time_expire: timeExpire } = body;
    const amount = body.amount as { total?: unknown; currency?: unknown } | undefined;
    if (typeof description !== 'string' || description.length === 0 || description.length > 127) return paramError('description');
    if (typeof outTradeNo !== 'string' || !/^[0-9A-Za-z_\-|*]{6,32}$/.test(outTradeNo)) return paramError('out_trade_no');
    if (typeof notifyUrl !== 'string' || !/^https?:\/\/\S+$/.test(notifyUrl)) return paramError('notify_url');
    if (!Number.isSafeInteger(amount?.total) || (amount?.total as number) <= 0) return paramError('amount.total');
    if ((amount?.currency ?? 'CNY') !== 'CNY') return paramError('amount.currency 仅支持 CNY');
    const rfc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    if (timeExpire !== undefined && (typeof timeExpire !== 'string' || !rfc.test(timeExpire))) return paramError('time_expire 应为 RFC 3339 格式');
    const result = await this.store.createTrade({
      provider: 'WECHAT_PAY',
      outTradeNo,
      tradeNo: SandboxStore.tradeNumber('4200'),
      merchantId: secrets.mchId,
      amount: BigInt(amount?.total as number),
      currency: 'CNY',
      subject: description,
      notifyUrl,
      expiresAt: typeof timeExpire === 'string' ? new Date(timeExpire) : new Date(Date.now() + 2 * 3600_000),
    });
    if ('conflict' in result) return fail(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
    if (result.trade.status === 'PAID') return fail(400, 'ORDERPAID', '订单已支付');
    if (result.trade.status !== 'WAITING') return fail(400, 'ORDER_CLOSED', '订单已关闭');
    return [200, { code_url: `weixin://wxpay/bizpayurl?pr=${BigInt(result.trade.tradeNo).toString(36)}` }];
  }

  private async createRefund(body: Json): Promise<Answer> {
    const { out_trade_no: outTradeNo, transaction_id: transactionId, out_refund_no: outRefundNo } = body;
    const amount = body.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
    const id = outTradeNo ?? transactionId;
    if (typeof id !== 'string' || id === '') return paramError('out_trade_no 与 transaction_id 必填其一');
    if (typeof outRefundNo !== 'string' || !/^[0-9A-Za-z_\-|*@]{1,64}$/.test(outRefundNo)) return paramError('out_refund_no');
    if (!Number.isSafeInteger(amount?.refund) || (amount?.refund as number) <= 0) return paramError('amount.refund');
    if (!Number.isSafeInteger(amount?.total)) return paramError('amount.total');
    if (amount?.currency !== 'CNY') return paramError('amount.currency 仅支持 CNY');
    const trade = await this.store.find('WECHAT_PAY', id);
    if (!trade) return fail(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    if (BigInt(amount.total as number) !== trade.amount) return paramError('amount.total 与原订单金额不一致');
    const outcome = await this.store.refund('WECHAT_PAY', trade.outTradeNo, outRefundNo, BigInt(amount.refund as number), SandboxStore.tradeNumber('50300'));
    if (!outcome.ok) {
      if (outcome.reason === 'TRADE_NOT_FOUND') return fail(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
      return fail(400, 'INVALID_REQUEST', outcome.reason === 'TRADE_NOT_PAID' ? '订单未支付，不能发起退款' : '申请退款金额超过订单可退金额');
    }
    const { refund } = outcome;
    const total = Number(trade.amount);
    const refunded = Number(refund.amount);
    return [
      200,
      {
        refund_id: refund.refundNo,
        out_refund_no: refund.outRefundNo,
        transaction_id: trade.tradeNo,
        out_trade_no: trade.outTradeNo,
        channel: 'ORIGINAL',
        user_received_account: '支付用户零钱',
        success_time: shanghaiIso(refund.createdAt),
        create_time: shanghaiIso(refund.createdAt),
        status: 'SUCCESS',
        funds_account: 'AVAILABLE',
        amount: { total, refund: refunded, payer_total: total, payer_refund: refunded, settlement_total: total, settlement_refund: refunded, discount_refund: 0, currency: 'CNY' },
      },
    ];
  }
}
