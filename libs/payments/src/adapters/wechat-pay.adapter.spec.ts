import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHash, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
// the sandbox gateway plays WeChat Pay here (spec-only deep import: the lib's index does not export gateways)
import { WechatPaySandboxGateway } from '@app/provider-sandbox';
import type { GatewaySecrets, KeyPair, SandboxTrade } from '@app/provider-sandbox';
import type { WechatPayCredentials } from '../provider/credentials.js';
import { NotificationRejectedError, ProviderCallError } from '../provider/payment-provider.js';
import { WechatPayAdapter, wechatMessage } from './wechat-pay.adapter.js';

const newKeyPair = async (): Promise<KeyPair> =>
  promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

const ORIGIN = 'http://127.0.0.1:4010';
const gateway = new WechatPaySandboxGateway();
let merchant: WechatPayCredentials;
let secrets: GatewaySecrets;
let other: { merchant: WechatPayCredentials; secrets: GatewaySecrets };
let adapter: WechatPayAdapter;

const trade = (over: Partial<SandboxTrade> = {}): SandboxTrade => ({
  provider: 'WECHAT_PAY',
  outTradeNo: randomBytes(16).toString('hex'),
  tradeNo: '4200123456789012345678901234',
  merchantId: secrets.mchId,
  amount: 1234n,
  currency: 'CNY',
  subject: 'Water bill, May',
  notifyUrl: `${ORIGIN}/v1/providers/WECHAT_PAY/notifications`,
  status: 'PAID',
  refunded: 0n,
  expiresAt: new Date(Date.now() + 3600_000),
  createdAt: new Date('2026-05-01T02:00:00Z'),
  paidAt: new Date('2026-05-01T02:03:04Z'),
  ...over,
});

/** The gateway's callback for a trade (WeChat Pay calls back on success only). */
function notify(...args: Parameters<WechatPaySandboxGateway['notification']>) {
  const n = gateway.notification(...args);
  if (!n) throw new Error('the gateway sent no notification');
  return n;
}

const input = (n: { headers: Record<string, string>; body: string }) => ({
  path: '/v1/providers/WECHAT_PAY/notifications',
  rawBody: Buffer.from(n.body, 'utf8'),
  // Node lowercases incoming header names
  headers: Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v])),
});

const rejected = (n: { headers: Record<string, string>; body: string }, by = adapter) => () => by.parseNotification(input(n));

/** A WeChat Pay answer signed by the gateway (or by `signer`'s key). */
function answer(status: number, payload?: object, signer = secrets): Response {
  const text = payload === undefined ? '' : JSON.stringify(payload);
  return new Response(text === '' ? null : text, { status, headers: { 'content-type': 'application/json', ...gateway.signedHeaders(text, signer) } });
}

interface Sent {
  method: string;
  url: URL;
  body: string;
  authorization: string;
}
const sent: Sent[] = [];

/** Routes the adapter's calls to `reply` and records them. */
function stubFetch(reply: (req: Sent) => Response): void {
  jest.spyOn(globalThis, 'fetch').mockImplementation((url, init) => {
    const req = {
      method: init?.method ?? 'GET',
      url: new URL(String(url)),
      body: typeof init?.body === 'string' ? init.body : '',
      authorization: (init?.headers as Record<string, string>).Authorization,
    };
    sent.push(req);
    return Promise.resolve(reply(req));
  });
}

beforeAll(async () => {
  const [mine, theirs] = await Promise.all([gateway.provision(newKeyPair), gateway.provision(newKeyPair)]);
  merchant = mine.merchant as unknown as WechatPayCredentials;
  secrets = mine.gateway;
  other = { merchant: theirs.merchant as unknown as WechatPayCredentials, secrets: theirs.gateway };
  adapter = new WechatPayAdapter(merchant, (url) => ORIGIN + url);
}, 60_000); // RSA key generation on a loaded machine

afterEach(() => {
  jest.restoreAllMocks();
  sent.length = 0;
});

describe('signing strings', () => {
  it('follows the documented request example (GET /v3/certificates, empty body)', () => {
    expect(wechatMessage(['GET', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', ''])).toBe(
      'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n',
    );
  });
});

describe('provision', () => {
  it('issues credentials shaped like the merchant console', () => {
    expect(merchant.gateway).toBe('/sandbox/wechat-pay');
    expect(merchant.mchId).toMatch(/^\d{10}$/);
    expect(merchant.appId).toMatch(/^wx[0-9a-f]{16}$/);
    expect(merchant.merchantSerialNo).toMatch(/^[0-9A-F]{40}$/);
    expect(merchant.apiV3Key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(merchant.platformPublicKeys).toEqual([{ serial: secrets.publicKeyId, publicKey: expect.stringContaining('PUBLIC KEY') }]);
    expect(secrets.publicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
    expect(adapter.merchantId).toBe(merchant.mchId);
  });

  it('refuses credentials missing a field, naming it', () => {
    expect(() => new WechatPayAdapter({ ...merchant, apiV3Key: '' }, (u) => u)).toThrow(/apiV3Key/);
  });
});

describe('parseNotification', () => {
  it('accepts the gateway notification and maps it', () => {
    const t = trade();
    const n = notify(t, secrets, {});
    expect(n.headers['Wechatpay-Signature-Type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(JSON.parse(n.body)).toMatchObject({ event_type: 'TRANSACTION.SUCCESS', resource: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' } });
    expect(adapter.parseNotification(input(n))).toEqual({
      notificationId: n.notificationId,
      merchantId: merchant.mchId,
      outTradeNo: t.outTradeNo,
      providerTradeId: t.tradeNo,
      status: 'SUCCEEDED',
      amount: 1234n,
      currency: 'CNY',
      paidAt: t.paidAt,
    });
  });

  it('repeats the notification id on redelivery', () => {
    const t = trade();
    expect(notify(t, secrets, {}).notificationId).toBe(notify(t, secrets, {}).notificationId);
  });

  it('reports what the gateway overrode, for the platform to compare', () => {
    const n = notify(trade(), secrets, { amount: 99n, currency: 'HKD', merchantId: '1900000109', notificationId: 'EV-1' });
    expect(adapter.parseNotification(input(n))).toMatchObject({ notificationId: 'EV-1', amount: 99n, currency: 'HKD', merchantId: '1900000109' });
  });

  it('sends no callback for a failed payment (WeChat Pay has no TRANSACTION.PAYERROR event: failures are found by query)', () => {
    expect(gateway.notification(trade({ status: 'FAILED', paidAt: null }), secrets, {})).toBeUndefined();
  });

  it('rejects a corrupted signature', () => {
    expect(rejected(notify(trade(), secrets, { corruptSignature: true }))).toThrow(NotificationRejectedError);
  });

  it('rejects a body altered after signing', () => {
    const n = notify(trade(), secrets, {});
    expect(rejected({ ...n, body: n.body.replace('"id":"', '"id":"X') })).toThrow(/signature does not verify/);
  });

  it('rejects a notification signed with another key under our serial', () => {
    const n = notify(trade(), { ...other.secrets, publicKeyId: secrets.publicKeyId }, {});
    expect(rejected(n)).toThrow(/signature does not verify/);
  });

  it('rejects an unknown Wechatpay-Serial', () => {
    expect(rejected(notify(trade(), other.secrets, {}))).toThrow(/unknown Wechatpay-Serial/);
  });

  it('rejects a timestamp more than 5 minutes off', () => {
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() - 6 * 60_000);
    const stale = notify(trade(), secrets, {});
    jest.restoreAllMocks();
    expect(rejected(stale)).toThrow(/5 minutes/);
  });

  it('rejects a resource that does not decrypt with our APIv3 key', () => {
    const n = notify(trade(), { ...secrets, apiV3Key: other.secrets.apiV3Key }, {});
    expect(rejected(n)).toThrow(/decrypt/);
  });

  it('marks a callback for another app id as not ours', () => {
    const n = notify(trade(), { ...secrets, appId: other.secrets.appId }, {});
    expect(adapter.parseNotification(input(n)).merchantId).not.toBe(adapter.merchantId);
  });

  it('verifies with a platform certificate serial as well as a PUB_KEY_ID', () => {
    const certSerial = randomBytes(20).toString('hex').toUpperCase();
    const both = new WechatPayAdapter(
      { ...merchant, platformPublicKeys: [...merchant.platformPublicKeys, { serial: certSerial, publicKey: other.merchant.platformPublicKeys[0].publicKey }] },
      (u) => u,
    );
    const n = notify(trade(), { ...secrets, privateKey: other.secrets.privateKey, publicKeyId: certSerial }, {});
    expect(both.parseNotification(input(n)).status).toBe('SUCCEEDED');
    expect(rejected(n)).toThrow(/unknown Wechatpay-Serial/);
  });
});

describe('notificationReply', () => {
  it('answers 204 when taken and 400 {code: FAIL} when not', () => {
    expect(adapter.notificationReply(true)).toMatchObject({ status: 204, body: '' });
    expect(adapter.notificationReply(false).status).toBe(400);
    expect(JSON.parse(adapter.notificationReply(false).body)).toMatchObject({ code: 'FAIL' });
    expect(gateway.acknowledged(204)).toBe(true);
    expect(gateway.acknowledged(400)).toBe(false);
  });
});

describe('API calls', () => {
  it('signs requests over the path relative to the gateway mount, as an official client does', async () => {
    stubFetch(() => answer(200, { code_url: 'weixin://wxpay/bizpayurl?pr=abc' }));
    const expiresAt = new Date('2026-05-01T04:00:00Z');
    const checkout = await adapter.createPayment({ outTradeNo: 'a'.repeat(32), amount: 1234n, currency: 'CNY', subject: 'Water', notifyUrl: 'https://x/n', expiresAt });
    expect(checkout).toEqual({ providerTradeId: 'a'.repeat(32), qrPayload: 'weixin://wxpay/bizpayurl?pr=abc' });
    const [req] = sent;
    expect(req.url.pathname).toBe('/sandbox/wechat-pay/v3/pay/transactions/native');
    expect(JSON.parse(req.body)).toEqual({
      appid: merchant.appId,
      mchid: merchant.mchId,
      description: 'Water',
      out_trade_no: 'a'.repeat(32),
      time_expire: '2026-05-01T12:00:00+08:00',
      notify_url: 'https://x/n',
      amount: { total: 1234, currency: 'CNY' },
    });
    expect(req.authorization).toMatch(new RegExp(`^WECHATPAY2-SHA256-RSA2048 mchid="${merchant.mchId}",nonce_str="\\w+",signature="[^"]+",timestamp="\\d+",serial_no="${merchant.merchantSerialNo}"$`));
    const wire = { method: 'POST', url: '/v3/pay/transactions/native', body: req.body, authorization: req.authorization };
    expect(gateway.authenticate(wire, secrets)).toBeUndefined();
    expect(gateway.authenticate({ ...wire, body: req.body.replace('1234', '1') }, secrets)).toBe('错误的签名，验签失败');
    expect(gateway.authenticate({ ...wire, url: req.url.pathname }, secrets)).toBe('错误的签名，验签失败');
  });

  it('signs the query string of a GET', async () => {
    stubFetch(() => answer(404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' }));
    await expect(adapter.queryPayment('b'.repeat(32))).resolves.toEqual({ outTradeNo: 'b'.repeat(32), status: 'NOT_FOUND' });
    const [req] = sent;
    expect(req.url.search).toBe(`?mchid=${merchant.mchId}`);
    expect(req.url.pathname.startsWith('/sandbox/wechat-pay/v3/')).toBe(true);
    const relative = req.url.pathname.slice('/sandbox/wechat-pay'.length) + req.url.search;
    expect(gateway.authenticate({ method: 'GET', url: relative, body: '', authorization: req.authorization }, secrets)).toBeUndefined();
  });

  it('maps a queried failed transaction (PAYERROR, payer_total 0) to FAILED', async () => {
    const t = trade({ status: 'FAILED', paidAt: null });
    stubFetch(() => answer(200, { appid: merchant.appId, mchid: merchant.mchId, out_trade_no: t.outTradeNo, transaction_id: t.tradeNo, trade_state: 'PAYERROR', amount: { total: 1234, payer_total: 0, currency: 'CNY', payer_currency: 'CNY' } }));
    await expect(adapter.queryPayment(t.outTradeNo)).resolves.toMatchObject({ status: 'FAILED', amount: 1234n });
  });

  it('maps a queried transaction, amounts in fen', async () => {
    const t = trade();
    stubFetch(() => answer(200, { appid: merchant.appId, mchid: merchant.mchId, out_trade_no: t.outTradeNo, transaction_id: t.tradeNo, trade_state: 'SUCCESS', success_time: '2026-05-01T10:03:04+08:00', amount: { total: 1234, payer_total: 1234, currency: 'CNY', payer_currency: 'CNY' } }));
    await expect(adapter.queryPayment(t.outTradeNo)).resolves.toEqual({
      outTradeNo: t.outTradeNo,
      providerTradeId: t.tradeNo,
      status: 'SUCCEEDED',
      amount: 1234n,
      currency: 'CNY',
      merchantId: merchant.mchId,
      paidAt: new Date('2026-05-01T02:03:04Z'),
    });
  });

  it('treats an answer not signed by WeChat Pay as a failed call', async () => {
    stubFetch(() => answer(200, { code_url: 'weixin://forged' }, other.secrets));
    await expect(adapter.createPayment({ outTradeNo: 'c'.repeat(32), amount: 1n, currency: 'CNY', subject: 's', notifyUrl: 'https://x', expiresAt: new Date() })).rejects.toThrow(ProviderCallError);
  });

  it('maps close and refund outcomes', async () => {
    stubFetch(() => answer(204));
    await expect(adapter.closePayment('d'.repeat(32))).resolves.toBe('CLOSED');
    jest.restoreAllMocks();
    stubFetch(() => answer(400, { code: 'ORDERPAID', message: '订单已支付' }));
    await expect(adapter.closePayment('d'.repeat(32))).resolves.toBe('ALREADY_PAID');
    jest.restoreAllMocks();
    stubFetch(() => answer(400, { code: 'INVALID_REQUEST', message: '申请退款金额超过订单可退金额' }));
    const refund = { outTradeNo: 'd'.repeat(32), outRefundNo: 'r1', amount: 2000n, totalAmount: 1234n, currency: 'CNY' as const };
    await expect(adapter.refund(refund)).resolves.toMatchObject({ status: 'FAILED', reason: expect.stringContaining('INVALID_REQUEST') });
    jest.restoreAllMocks();
    stubFetch(() => answer(200, { refund_id: '50300001', out_refund_no: 'r1', status: 'SUCCESS' }));
    await expect(adapter.refund(refund)).resolves.toEqual({ status: 'SUCCEEDED', providerRefundId: '50300001', reason: undefined });
    expect(JSON.parse(sent.at(-1)!.body)).toMatchObject({ out_refund_no: 'r1', amount: { refund: 2000, total: 1234, currency: 'CNY' } });
  });
});

describe('fetchSettlement', () => {
  const paid = (): SandboxTrade => trade({ outTradeNo: 'e'.repeat(32), amount: 1234n, subject: 'a, b' });
  const file = () =>
    gateway.settlementFile(
      [
        { type: 'PAYMENT', trade: paid(), amount: 1234n, at: new Date('2026-05-01T02:03:04Z') },
        {
          type: 'REFUND',
          trade: paid(),
          refund: { outRefundNo: 'r-1', outTradeNo: 'e'.repeat(32), refundNo: '50300000001', amount: 34n, createdAt: new Date('2026-05-01T03:00:00Z') },
          amount: 34n,
          at: new Date('2026-05-01T03:00:00Z'),
        },
      ],
      secrets,
    ).body;

  function stubBill(body: string, hash: string): void {
    stubFetch((req) =>
      req.url.pathname.endsWith('/v3/bill/tradebill')
        ? answer(200, { hash_type: 'SHA1', hash_value: hash, download_url: `${ORIGIN}/sandbox/wechat-pay/v3/billdownload/file?token=abc` })
        : new Response(body, { status: 200, headers: { 'content-type': 'text/csv' } }),
    );
  }

  it('downloads the bill, checks its SHA1 and parses payments and refunds (summary lines skipped)', async () => {
    const body = file();
    expect(body).toContain('总交易单数');
    stubBill(body, createHash('sha1').update(body).digest('hex'));
    await expect(adapter.fetchSettlement('2026-05-01')).resolves.toEqual([
      { type: 'PAYMENT', outTradeNo: 'e'.repeat(32), outRefundNo: undefined, providerTradeId: paid().tradeNo, amount: 1234n, currency: 'CNY', at: new Date('2026-05-01T02:03:04Z') },
      { type: 'REFUND', outTradeNo: 'e'.repeat(32), outRefundNo: 'r-1', providerTradeId: paid().tradeNo, amount: 34n, currency: 'CNY', at: new Date('2026-05-01T03:00:00Z') },
    ]);
    expect(sent[0].url.search).toBe('?bill_date=2026-05-01&bill_type=ALL');
    expect(sent[1].url.pathname + sent[1].url.search).toBe('/sandbox/wechat-pay/v3/billdownload/file?token=abc');
    expect(gateway.authenticate({ method: 'GET', url: '/v3/billdownload/file?token=abc', body: '', authorization: sent[1].authorization }, secrets)).toBeUndefined();
  });

  it('refuses a file that does not match its hash', async () => {
    const body = file();
    stubBill(body.replace('12.34', '12.35'), createHash('sha1').update(body).digest('hex'));
    await expect(adapter.fetchSettlement('2026-05-01')).rejects.toThrow(/SHA1/);
  });
});
