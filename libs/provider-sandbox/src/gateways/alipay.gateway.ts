import { Controller, HttpCode, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, createSign, createVerify, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, shanghaiDateTime } from '@app/common';
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
import { corrupt, origin, yuan, parseYuan } from './wire.js';

/** Alipay's signing content: parameters sorted by name, `k=v` joined by `&`, empty values left out. */
function signContent(params: Record<string, string>, exclude: string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

const rsa2 = (content: string, privateKey: string): string => createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');

/** A 2088... Alipay user/partner id (16 digits), derived from a seed so a trade's buyer stays the same on every notify and query. */
const alipayUserId = (seed: string): string => '2088' + BigInt('0x' + createHash('sha256').update(seed).digest('hex').slice(0, 15)).toString().padStart(12, '0').slice(-12);

/** The merchant's PID (seller_id): provisioned with the account; derived from the app id for accounts opened before it was. */
const sellerIdOf = (secrets: GatewaySecrets): string => secrets.sellerId ?? alipayUserId(`seller:${secrets.appId}`);

const TRADE_STATUS: Record<SandboxTrade['status'], string> = {
  WAITING: 'WAIT_BUYER_PAY',
  PAID: 'TRADE_SUCCESS',
  FAILED: 'TRADE_CLOSED',
  CLOSED: 'TRADE_CLOSED',
};

/**
 * Alipay open API gateway (v2, RSA2): verifies each request's `sign` over the
 * sorted parameters with the application's public key, answers
 * `{"<method>_response": {...}, "sign": "..."}` signed with the gateway's
 * key, and posts form-encoded async notifications signed the same way
 * (without sign and sign_type), expecting the literal `success`.
 */
export class AlipaySandboxGateway implements SandboxGateway {
  readonly provider = 'ALIPAY' as const;

  async provision(newKeyPair: () => Promise<KeyPair>): Promise<{ merchant: Record<string, unknown>; gateway: GatewaySecrets }> {
    const [app, alipay] = await Promise.all([newKeyPair(), newKeyPair()]);
    const appId = '90210' + BigInt('0x' + randomBytes(6).toString('hex')).toString().padStart(11, '0').slice(0, 11);
    const sellerId = alipayUserId(`seller:${appId}:${randomBytes(8).toString('hex')}`);
    return {
      merchant: { gateway: '/sandbox/alipay/gateway.do', appId, sellerId, privateKey: app.privateKey, alipayPublicKey: alipay.publicKey },
      gateway: { appId, sellerId, appPublicKey: app.publicKey, privateKey: alipay.privateKey },
    };
  }

  /** Accounts opened before seller ids were issued get theirs (the one the gateway notifies with). */
  merchantCredentials(merchant: Record<string, unknown>, secrets: GatewaySecrets): Record<string, unknown> {
    return { ...merchant, sellerId: merchant.sellerId ?? sellerIdOf(secrets) };
  }

  notification(trade: SandboxTrade, secrets: GatewaySecrets, overrides: NotificationOverrides): OutgoingNotification {
    const notificationId = SandboxStore.notificationId(trade, overrides);
    const total = yuan(overrides.amount ?? trade.amount);
    // what the buyer actually paid: all of it on a paid trade, nothing on a closed one
    const paid = trade.status === 'PAID' ? total : '0.00';
    const params: Record<string, string> = {
      notify_time: shanghaiDateTime(new Date()),
      notify_type: 'trade_status_sync',
      notify_id: notificationId,
      app_id: overrides.merchantId ?? secrets.appId,
      auth_app_id: overrides.merchantId ?? secrets.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      seller_id: sellerIdOf(secrets),
      buyer_id: alipayUserId(`buyer:${trade.tradeNo}`),
      trade_status: TRADE_STATUS[trade.status],
      total_amount: total,
      receipt_amount: paid,
      invoice_amount: paid,
      buyer_pay_amount: paid,
      point_amount: '0.00',
      subject: trade.subject,
      gmt_create: shanghaiDateTime(trade.createdAt),
    };
    if (trade.status === 'PAID') params.fund_bill_list = JSON.stringify([{ amount: total, fundChannel: 'ALIPAYACCOUNT' }]);
    if (trade.paidAt) params.gmt_payment = shanghaiDateTime(trade.paidAt);
    if (overrides.currency) params.trans_currency = overrides.currency;
    let sign = rsa2(signContent(params, ['sign', 'sign_type']), secrets.privateKey);
    if (overrides.corruptSignature) sign = corrupt(sign);
    return {
      notificationId,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ ...params, sign }).toString(),
    };
  }

  acknowledged(status: number, body: string): boolean {
    return status === 200 && body.trim() === 'success';
  }

  /** Like Alipay's trade bill: '#' comment lines around a CSV, amounts in yuan, refunds negative. */
  settlementFile(entries: SettlementEntry[], secrets: GatewaySecrets): { contentType: string; body: string } {
    const lines = [
      `#支付宝业务明细查询`,
      `#账号：[${secrets.appId}]`,
      '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号',
      ...entries.map((e) =>
        [
          e.trade.tradeNo,
          e.trade.outTradeNo,
          e.type === 'REFUND' ? '退款' : '交易',
          e.trade.subject.replace(/[,\n]/g, ' '),
          shanghaiDateTime(e.trade.createdAt),
          shanghaiDateTime(e.at),
          (e.type === 'REFUND' ? '-' : '') + yuan(e.amount),
          (e.type === 'REFUND' ? '-' : '') + yuan(e.amount),
          e.refund?.outRefundNo ?? '',
        ].join(','),
      ),
      `#交易合计：${entries.filter((e) => e.type === 'PAYMENT').length}笔`,
    ];
    return { contentType: 'text/csv; charset=utf-8', body: lines.join('\n') + '\n' };
  }
}

type Biz = Record<string, string | undefined>;
type Answer = Record<string, unknown>;

@ApiExcludeController()
@Public()
@UseInterceptors(GatewayOutage)
@Controller('sandbox/alipay')
export class AlipayGatewayController {
  constructor(
    private readonly store: SandboxStore,
    private readonly keys: SandboxKeysService,
  ) {}

  @Post('gateway.do')
  @HttpCode(200)
  async gateway(@Req() req: FastifyRequest & { rawBody?: Buffer }, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const secrets = await this.keys.gatewaySecrets('ALIPAY');
    const params: Record<string, string> = {
      ...(req.query as Record<string, string>),
      ...Object.fromEntries(new URLSearchParams(req.rawBody?.toString('utf8') ?? '')),
    };
    const method = params.method ?? '';
    void reply.header('content-type', 'application/json; charset=utf-8');
    const key = method ? `${method.replace(/\./g, '_')}_response` : 'error_response';
    const answer = (content: Answer): string => {
      const inner = JSON.stringify(content);
      return `{"${key}":${inner},"sign":"${rsa2(inner, secrets.privateKey)}"}`;
    };
    const verified =
      !!params.sign &&
      createVerify('RSA-SHA256').update(signContent(params, ['sign']), 'utf8').verify(secrets.appPublicKey, params.sign, 'base64');
    if (!verified) return answer({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: '验签出错' });
    if (params.app_id !== secrets.appId) return answer({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-app-id', sub_msg: '无效的AppID参数' });
    let biz: Biz;
    try {
      biz = JSON.parse(params.biz_content ?? '{}') as Biz;
    } catch {
      return answer({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'biz_content 不是 JSON' });
    }
    const fail = (sub_code: string, sub_msg: string): string => answer({ code: '40004', msg: 'Business Failed', sub_code, sub_msg });
    switch (method) {
      case 'alipay.trade.precreate':
        return answer(await this.precreate(biz, params, secrets).catch((e: Error) => ({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: e.message })));
      case 'alipay.trade.query': {
        const trade = await this.store.find('ALIPAY', biz.out_trade_no ?? biz.trade_no ?? '');
        // a precreated trade exists at Alipay only once its QR code is scanned: until then the query finds nothing
        // (here a trade is scanned when paid or failed: a closed one was never scanned)
        if (!trade || trade.status === 'WAITING' || trade.status === 'CLOSED') return fail('ACQ.TRADE_NOT_EXIST', '交易不存在');
        const status = TRADE_STATUS[trade.status];
        return answer({
          code: '10000',
          msg: 'Success',
          trade_no: trade.tradeNo,
          out_trade_no: trade.outTradeNo,
          trade_status: status,
          total_amount: yuan(trade.amount),
          buyer_user_id: alipayUserId(`buyer:${trade.tradeNo}`),
          ...(trade.paidAt ? { send_pay_date: shanghaiDateTime(trade.paidAt), buyer_pay_amount: yuan(trade.amount) } : {}),
        });
      }
      case 'alipay.trade.close': {
        const before = await this.store.find('ALIPAY', biz.out_trade_no ?? '');
        const result = await this.store.close('ALIPAY', biz.out_trade_no ?? '');
        // closing a never-scanned QR: it can no longer be paid, but Alipay never knew the trade
        if (result === 'NOT_FOUND' || before?.status === 'WAITING') return fail('ACQ.TRADE_NOT_EXIST', '交易不存在');
        if (result === 'ALREADY_PAID') return fail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        return answer({ code: '10000', msg: 'Success', out_trade_no: biz.out_trade_no });
      }
      case 'alipay.trade.refund': {
        let amount: bigint;
        try {
          amount = parseYuan(biz.refund_amount ?? '');
        } catch {
          return fail('ACQ.INVALID_PARAMETER', 'refund_amount 无效');
        }
        if (amount <= 0n || !biz.out_request_no) return fail('ACQ.INVALID_PARAMETER', '参数无效');
        const outcome = await this.store.refund('ALIPAY', biz.out_trade_no ?? '', biz.out_request_no, amount, biz.out_request_no);
        if (!outcome.ok) {
          const code = { TRADE_NOT_FOUND: 'ACQ.TRADE_NOT_EXIST', TRADE_NOT_PAID: 'ACQ.TRADE_STATUS_ERROR', REFUND_AMOUNT_EXCEEDED: 'ACQ.REFUND_FEE_ERROR', REFUND_NO_REUSED: 'ACQ.DISCORDANT_REPEAT_REQUEST' }[outcome.reason];
          return fail(code, outcome.reason);
        }
        return answer({
          code: '10000',
          msg: 'Success',
          trade_no: outcome.trade.tradeNo,
          out_trade_no: outcome.trade.outTradeNo,
          refund_fee: yuan(outcome.trade.refunded),
          fund_change: outcome.duplicate ? 'N' : 'Y',
        });
      }
      case 'alipay.data.dataservice.bill.downloadurl.query':
        if (!/^\d{4}-\d{2}-\d{2}$/.test(biz.bill_date ?? '')) return fail('isp.bill_date_error', 'bill_date 格式错误');
        return answer({ code: '10000', msg: 'Success', bill_download_url: `${origin(req)}/sandbox/alipay/settlements/${biz.bill_date}` });
      default:
        return answer({ code: '40004', msg: 'Business Failed', sub_code: 'isv.invalid-method', sub_msg: `不存在的方法名 ${method}` });
    }
  }

  private async precreate(biz: Biz, params: Record<string, string>, secrets: GatewaySecrets): Promise<Answer> {
    const amount = parseYuan(biz.total_amount ?? '');
    if (amount <= 0n || !biz.out_trade_no || !params.notify_url) throw new Error('参数无效');
    const expiresAt = biz.time_expire ? parseBeijing(biz.time_expire) : new Date(Date.now() + 2 * 3600_000);
    const result = await this.store.createTrade({
      provider: 'ALIPAY',
      outTradeNo: biz.out_trade_no,
      tradeNo: SandboxStore.tradeNumber('2026'),
      merchantId: secrets.appId,
      amount,
      currency: 'CNY',
      subject: biz.subject ?? '',
      notifyUrl: params.notify_url,
      expiresAt,
    });
    if ('conflict' in result) return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.CONTEXT_INCONSISTENT', sub_msg: '交易信息被篡改' };
    return { code: '10000', msg: 'Success', out_trade_no: result.trade.outTradeNo, qr_code: `https://qr.alipay.com/bax0${result.trade.tradeNo.slice(-12)}` };
  }
}

function parseBeijing(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new Error('time_expire 格式错误');
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
}
