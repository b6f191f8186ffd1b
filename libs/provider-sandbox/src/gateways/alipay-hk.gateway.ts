import { Controller, HttpCode, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createSign, createVerify, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, Public, shanghaiIso } from '@app/common';
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
import { corrupt, origin, relativeToMount } from './wire.js';

/** Alipay+ (AMS) content to sign: `<METHOD> <URI>\n<Client-Id>.<Request-Time or Response-Time>.<body>`. */
const signContent = (method: string, uri: string, clientId: string, time: string, body: string): string =>
  `${method} ${uri}\n${clientId}.${time}.${body}`;

const rsa256 = (content: string, privateKey: string): string => createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');

/** Where this gateway is mounted: what Alipay+ serves at /ams/api/... is /sandbox/alipay-hk/ams/api/... here. */
const MOUNT = '/sandbox/alipay-hk';

/** Whether the URL-encoded base64 `signature` is SHA256withRSA over `content` by `publicKey` (garbage is a no). */
function verifies(content: string, signature: string, publicKey: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, decodeURIComponent(signature), 'base64');
  } catch {
    return false;
  }
}

const signatureHeader = (signature: string, keyVersion: string): string =>
  `algorithm=RSA256,keyVersion=${keyVersion},signature=${encodeURIComponent(signature)}`;


const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

const PAYMENT_STATUS: Record<SandboxTrade['status'], string> = {
  WAITING: 'PROCESSING',
  PAID: 'SUCCESS',
  FAILED: 'FAIL',
  CLOSED: 'CANCELLED',
};

type Result = { resultCode: string; resultStatus: 'S' | 'F' | 'U'; resultMessage: string };
type Answer = { result: Result } & Record<string, unknown>;
type Amount = { currency: string; value: string };

const success = (extra: Record<string, unknown> = {}): Answer => ({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' }, ...extra });
const failure = (resultCode: string, resultMessage: string): Answer => ({ result: { resultCode, resultStatus: 'F', resultMessage } });
const illegal = (what: string): Answer => failure('PARAM_ILLEGAL', `Illegal parameters: ${what}`);

const amountOf = (trade: SandboxTrade, value: bigint = trade.amount): Amount => ({ currency: trade.currency, value: value.toString() });

/** `{currency, value}` with value a positive integer of minor units, else undefined. */
function readAmount(raw: unknown): { currency: string; value: bigint } | undefined {
  const a = raw as Partial<Amount> | undefined;
  if (!a || typeof a.currency !== 'string' || !/^[A-Z]{3}$/.test(a.currency) || typeof a.value !== 'string' || !/^\d{1,15}$/.test(a.value)) return undefined;
  const value = BigInt(a.value);
  return value > 0n ? { currency: a.currency, value } : undefined;
}

function isHttpUrl(text: unknown): text is string {
  if (typeof text !== 'string' || text.length > 2048) return false;
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * Alipay+ / Antom online payments API v1 (AMS) for the AlipayHK wallet, in HKD:
 * verifies each request's Signature header (SHA256withRSA over
 * `POST <path>\n<Client-Id>.<Request-Time>.<body>`) with the merchant's public
 * key, answers JSON `{result: {resultCode, resultStatus, resultMessage}, ...}`
 * signed the same way with the gateway key (Response-Time), and posts
 * notifyPayment signed like a request, expecting the fixed SUCCESS result back.
 */
export class AlipayHkSandboxGateway implements SandboxGateway {
  readonly provider = 'ALIPAY_HK' as const;

  async provision(newKeyPair: () => Promise<KeyPair>): Promise<{ merchant: Record<string, unknown>; gateway: GatewaySecrets }> {
    const [merchant, gateway] = await Promise.all([newKeyPair(), newKeyPair()]);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const clientId = 'SANDBOX_' + [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join('');
    const keyVersion = '1';
    return {
      merchant: { gateway: MOUNT, clientId, keyVersion, privateKey: merchant.privateKey, alipayPublicKey: gateway.publicKey },
      gateway: { clientId, keyVersion, merchantPublicKey: merchant.publicKey, privateKey: gateway.privateKey },
    };
  }

  /**
   * notifyPayment, signed over the notify URL's path. Alipay+ carries no notification id: the
   * platform derives `<paymentId><S|F>` (SandboxStore's default id); an overridden id travels
   * in the signed body as `sandboxNotificationId`, a field only this sandbox sends.
   */
  notification(trade: SandboxTrade, secrets: GatewaySecrets, overrides: NotificationOverrides): OutgoingNotification {
    const notificationId = SandboxStore.notificationId(trade, overrides);
    const paid = trade.status === 'PAID';
    const body = JSON.stringify({
      notifyType: 'PAYMENT_RESULT',
      result: paid
        ? { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' }
        : { resultCode: 'FAIL', resultStatus: 'F', resultMessage: 'payment failed' },
      paymentRequestId: trade.outTradeNo,
      paymentId: trade.tradeNo,
      paymentAmount: { currency: overrides.currency ?? trade.currency, value: (overrides.amount ?? trade.amount).toString() },
      paymentCreateTime: shanghaiIso(trade.createdAt),
      ...(trade.paidAt ? { paymentTime: shanghaiIso(trade.paidAt) } : {}),
      ...(overrides.notificationId ? { sandboxNotificationId: notificationId } : {}),
    });
    const clientId = overrides.merchantId ?? secrets.clientId;
    const requestTime = shanghaiIso(new Date());
    let signature = rsa256(signContent('POST', new URL(trade.notifyUrl).pathname, clientId, requestTime, body), secrets.privateKey);
    if (overrides.corruptSignature) signature = corrupt(signature);
    return {
      notificationId,
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        'client-id': clientId,
        'request-time': requestTime,
        signature: signatureHeader(signature, secrets.keyVersion),
      },
      body,
    };
  }

  acknowledged(status: number, body: string): boolean {
    try {
      const { result } = JSON.parse(body) as { result?: Partial<Result> };
      return status === 200 && result?.resultCode === 'SUCCESS' && result.resultStatus === 'S';
    } catch {
      return false;
    }
  }

  /** Like Antom's settlement details report: CSV, amounts in minor units, a final `<END>` line. */
  settlementFile(entries: SettlementEntry[], secrets: GatewaySecrets): { contentType: string; body: string } {
    const lines = [
      'settlementBatchId,customerId,transactionId,originalTransactionId,transactionRequestId,referenceTransactionId,paymentMethodType,transactionType,transactionTime,transactionAmountValue,transactionAmountCurrency,settlementAmountValue,settlementCurrency',
      ...entries.map((e) =>
        [
          shanghaiIso(e.at).slice(0, 10).replace(/-/g, ''),
          secrets.clientId,
          e.refund ? e.refund.refundNo : e.trade.tradeNo,
          e.refund ? e.trade.tradeNo : '',
          e.refund ? e.refund.outRefundNo : e.trade.outTradeNo,
          e.trade.outTradeNo,
          'ALIPAY_HK',
          e.type,
          shanghaiIso(e.at),
          e.amount.toString(),
          e.trade.currency,
          e.amount.toString(),
          e.trade.currency,
        ].join(','),
      ),
      '<END>',
    ];
    return { contentType: 'text/csv; charset=utf-8', body: lines.join('\n') + '\n' };
  }
}

type Body = Record<string, unknown>;

@ApiExcludeController()
@Public()
@UseInterceptors(GatewayOutage)
@Controller('sandbox/alipay-hk')
export class AlipayHkGatewayController {
  constructor(
    private readonly store: SandboxStore,
    private readonly keys: SandboxKeysService,
  ) {}

  /** The AMS payment APIs, under /ams/api (live client ids) and /ams/sandbox/api (SANDBOX_ ids, as Antom's SDKs send them). */
  @Post(['ams/api/v1/payments/:api', 'ams/sandbox/api/v1/payments/:api'])
  @HttpCode(200)
  async payments(
    @Param('api') api: string,
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const secrets = await this.keys.gatewaySecrets('ALIPAY_HK');
    // signed over the path as Alipay+ sees it (/ams/api/...): relative to where this gateway is mounted
    const uri = relativeToMount(req.url.split('?')[0], MOUNT);
    const respond = (answer: Answer): string => {
      const text = JSON.stringify(answer);
      const responseTime = shanghaiIso(new Date());
      void reply
        .header('content-type', 'application/json; charset=UTF-8')
        .header('client-id', secrets.clientId)
        .header('response-time', responseTime)
        .header('signature', signatureHeader(rsa256(signContent('POST', uri, secrets.clientId, responseTime, text), secrets.privateKey), secrets.keyVersion));
      return text;
    };
    const header = (name: string): string => [req.headers[name] ?? ''].flat()[0] ?? '';
    const raw = req.rawBody?.toString('utf8') ?? '';
    const fields: Record<string, string> = Object.fromEntries(
      header('signature')
        .split(',')
        .map((p) => p.trim())
        .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
    );
    const requestTime = header('request-time');
    if (header('client-id') !== secrets.clientId) return respond(failure('CLIENT_INVALID', 'The client ID is invalid.'));
    if (!/^\d{13}$/.test(requestTime) && !ISO_WITH_OFFSET.test(requestTime)) return respond(illegal('Request-Time'));
    if (fields.keyVersion !== undefined && fields.keyVersion !== secrets.keyVersion) return respond(failure('KEY_NOT_FOUND', 'The key is not found.'));
    if (!fields.signature || !verifies(signContent('POST', uri, secrets.clientId, requestTime, raw), fields.signature, secrets.merchantPublicKey)) {
      return respond(failure('INVALID_SIGNATURE', 'The signature is invalid.'));
    }
    let body: Body;
    try {
      body = JSON.parse(raw) as Body;
    } catch {
      return respond(illegal('the body is not JSON'));
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return respond(illegal('the body is not an object'));
    switch (api) {
      case 'pay':
        return respond(await this.pay(body, secrets, origin(req)));
      case 'inquiryPayment':
        return respond(await this.inquiry(body));
      case 'cancel':
        return respond(await this.cancel(body));
      case 'refund':
        return respond(await this.refund(body));
      default:
        return respond(failure('NO_INTERFACE_DEF', 'API is not defined.'));
    }
  }

  private async findTrade(body: Body): Promise<SandboxTrade | undefined> {
    const id = body.paymentId ?? body.paymentRequestId;
    if (typeof id !== 'string' || id === '' || id.length > 64) return undefined;
    const trade = await this.store.find('ALIPAY_HK', id);
    // paymentId and paymentRequestId each name the trade only in their own role
    if (trade && (body.paymentId !== undefined ? trade.tradeNo !== id : trade.outTradeNo !== id)) return undefined;
    return trade;
  }

  private async pay(body: Body, secrets: GatewaySecrets, base: string): Promise<Answer> {
    const { productCode, paymentRequestId, paymentMethod, paymentNotifyUrl, paymentExpiryTime, order } = body as {
      productCode?: unknown;
      paymentRequestId?: unknown;
      paymentMethod?: { paymentMethodType?: unknown };
      paymentNotifyUrl?: unknown;
      paymentExpiryTime?: unknown;
      order?: { orderDescription?: unknown };
    };
    const amount = readAmount(body.paymentAmount);
    if (productCode !== 'CASHIER_PAYMENT') return illegal('productCode');
    if (typeof paymentRequestId !== 'string' || !/^[\w-]{1,64}$/.test(paymentRequestId)) return illegal('paymentRequestId');
    if (paymentMethod?.paymentMethodType !== 'ALIPAY_HK') return failure('PAYMENT_METHOD_NOT_SUPPORTED', 'The payment method is not supported.');
    if (!amount) return illegal('paymentAmount');
    if (amount.currency !== 'HKD') return failure('CURRENCY_NOT_SUPPORT', 'The currency is not supported.');
    if (!isHttpUrl(paymentNotifyUrl)) return illegal('paymentNotifyUrl');
    if (paymentExpiryTime !== undefined && (typeof paymentExpiryTime !== 'string' || !ISO_WITH_OFFSET.test(paymentExpiryTime))) return illegal('paymentExpiryTime');
    const created = await this.store.createTrade({
      provider: 'ALIPAY_HK',
      outTradeNo: paymentRequestId,
      tradeNo: SandboxStore.tradeNumber('2026'),
      merchantId: secrets.clientId,
      amount: amount.value,
      currency: amount.currency,
      subject: typeof order?.orderDescription === 'string' ? order.orderDescription.slice(0, 256) : '',
      notifyUrl: paymentNotifyUrl,
      expiresAt: paymentExpiryTime ? new Date(paymentExpiryTime) : new Date(Date.now() + 14 * 60_000),
    });
    if ('conflict' in created) return failure('REPEAT_REQ_INCONSISTENT', 'The request is inconsistent with the earlier one of the same paymentRequestId.');
    const { trade } = created;
    const common = { paymentRequestId: trade.outTradeNo, paymentId: trade.tradeNo, paymentAmount: amountOf(trade), paymentCreateTime: shanghaiIso(trade.createdAt) };
    if (trade.status === 'PAID') return success({ ...common, paymentTime: shanghaiIso(trade.paidAt ?? trade.createdAt) });
    if (trade.status !== 'WAITING') return failure('ORDER_IS_CLOSED', 'The order is closed.');
    return {
      result: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'payment in process' },
      ...common,
      normalUrl: `${base}/sandbox/alipay-hk/trades/${trade.tradeNo}`,
      orderCodeForm: {
        expireTime: shanghaiIso(trade.expiresAt),
        codeDetails: [{ codeValue: `https://global.alipay.com/281002040098${trade.tradeNo.slice(-16)}`, displayType: 'TEXT' }],
      },
    };
  }

  private async inquiry(body: Body): Promise<Answer> {
    const trade = await this.findTrade(body);
    if (!trade) return failure('ORDER_NOT_EXIST', 'The order does not exist.');
    const expired = trade.status === 'WAITING' && trade.expiresAt <= new Date();
    return success({
      paymentStatus: expired ? 'FAIL' : PAYMENT_STATUS[trade.status],
      ...(expired ? { paymentResultCode: 'ORDER_IS_CLOSED', paymentResultMessage: 'The order is closed.' } : {}),
      paymentRequestId: trade.outTradeNo,
      paymentId: trade.tradeNo,
      paymentAmount: amountOf(trade),
      paymentCreateTime: shanghaiIso(trade.createdAt),
      ...(trade.paidAt ? { paymentTime: shanghaiIso(trade.paidAt) } : {}),
    });
  }

  /** Cancels an unpaid payment. (Antom would also reverse a paid one until T+1; this gateway refuses it.) */
  private async cancel(body: Body): Promise<Answer> {
    const trade = await this.findTrade(body);
    if (!trade) return failure('ORDER_NOT_EXIST', 'The order does not exist.');
    const outcome = await this.store.close('ALIPAY_HK', trade.outTradeNo);
    if (outcome === 'NOT_FOUND') return failure('ORDER_NOT_EXIST', 'The order does not exist.');
    if (outcome === 'ALREADY_PAID') return failure('ORDER_STATUS_INVALID', 'The order status is invalid.');
    return success({ paymentRequestId: trade.outTradeNo, paymentId: trade.tradeNo, cancelTime: shanghaiIso(new Date()) });
  }

  private async refund(body: Body): Promise<Answer> {
    const { refundRequestId } = body;
    const amount = readAmount(body.refundAmount);
    if (typeof refundRequestId !== 'string' || !/^[\w-]{1,64}$/.test(refundRequestId)) return illegal('refundRequestId');
    if (typeof body.paymentId !== 'string') return illegal('paymentId');
    if (!amount) return illegal('refundAmount');
    const trade = await this.findTrade({ paymentId: body.paymentId });
    if (!trade) return failure('ORDER_NOT_EXIST', 'The order does not exist.');
    if (amount.currency !== trade.currency) return failure('CURRENCY_NOT_SUPPORT', 'The refund currency differs from the payment currency.');
    let outcome: Awaited<ReturnType<SandboxStore['refund']>>;
    try {
      outcome = await this.store.refund('ALIPAY_HK', trade.outTradeNo, refundRequestId, amount.value, SandboxStore.tradeNumber('2026'));
    } catch (err) {
      if (err instanceof ConflictError) return { result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U', resultMessage: 'The refund is being processed.' } };
      throw err;
    }
    if (!outcome.ok) {
      if (outcome.reason === 'REFUND_AMOUNT_EXCEEDED') return failure('REFUND_AMOUNT_EXCEED', 'The total refund amount exceeds the payment amount.');
      if (outcome.reason === 'TRADE_NOT_PAID') return failure('ORDER_STATUS_INVALID', 'The order status is invalid.');
      return failure('ORDER_NOT_EXIST', 'The order does not exist.');
    }
    const { refund } = outcome;
    if (refund.outTradeNo !== trade.outTradeNo || refund.amount !== amount.value) {
      return failure('REPEAT_REQ_INCONSISTENT', 'The request is inconsistent with the earlier one of the same refundRequestId.');
    }
    return success({
      refundRequestId: refund.outRefundNo,
      refundId: refund.refundNo,
      paymentId: trade.tradeNo,
      refundAmount: amountOf(trade, refund.amount),
      refundTime: shanghaiIso(refund.createdAt),
    });
  }
}
