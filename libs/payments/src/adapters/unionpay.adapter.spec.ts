import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createHash, createVerify, generateKeyPairSync, X509Certificate } from 'node:crypto';
// the sandbox gateway plays UnionPay here (spec-only deep import: the lib's index does not export gateways)
import { certificateChain, UnionPayGatewayController, UnionPaySandboxGateway } from '@app/provider-sandbox';
import type { SandboxRefund, SandboxTrade, SettlementEntry } from '@app/provider-sandbox';
import { shanghaiDay } from '@app/common';
import type { UnionPayCredentials } from '../provider/credentials.js';
import { NotificationRejectedError, ProviderCallError } from '../provider/payment-provider.js';
import { UnionPayAdapter, unionPayDigest } from './unionpay.adapter.js';

const newKeyPair = () => Promise.resolve(generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));

/** SandboxStore's bookkeeping in memory: enough for the gateway controller. */
class FakeStore {
  readonly trades = new Map<string, SandboxTrade>();
  readonly refunds = new Map<string, SandboxRefund>();

  async createTrade(t: Omit<SandboxTrade, 'status' | 'refunded' | 'createdAt' | 'paidAt'>) {
    const existing = this.trades.get(t.outTradeNo);
    if (existing) return existing.amount === t.amount ? { trade: existing, created: false } : { conflict: true as const };
    const trade: SandboxTrade = { ...t, status: 'WAITING', refunded: 0n, createdAt: new Date(), paidAt: null };
    this.trades.set(t.outTradeNo, trade);
    return { trade, created: true };
  }

  async find(_p: string, id: string) {
    return [...this.trades.values()].find((t) => t.outTradeNo === id || t.tradeNo === id);
  }

  async close(_p: string, outTradeNo: string) {
    const trade = this.trades.get(outTradeNo);
    if (!trade) return 'NOT_FOUND';
    if (trade.status === 'PAID') return 'ALREADY_PAID';
    if (trade.status === 'WAITING') trade.status = 'CLOSED';
    return 'CLOSED';
  }

  async refund(_p: string, outTradeNo: string, outRefundNo: string, amount: bigint, refundNo: string) {
    const trade = this.trades.get(outTradeNo)!;
    const existing = this.refunds.get(outRefundNo);
    if (existing) return { ok: true, refund: existing, trade, duplicate: true };
    if (trade.status !== 'PAID') return { ok: false, reason: 'TRADE_NOT_PAID' };
    if (trade.amount - trade.refunded < amount) return { ok: false, reason: 'REFUND_AMOUNT_EXCEEDED' };
    trade.refunded += amount;
    const refund = { outRefundNo, outTradeNo, refundNo, amount, createdAt: new Date() };
    this.refunds.set(outRefundNo, refund);
    return { ok: true, refund, trade, duplicate: false };
  }

  async findRefund(_p: string, outRefundNo: string) {
    return this.refunds.get(outRefundNo);
  }

  async settlementEntries(_p: string, start: Date, end: Date): Promise<SettlementEntry[]> {
    const within = (at: Date) => at >= start && at < end;
    return [
      ...[...this.trades.values()].filter((t) => t.paidAt && within(t.paidAt)).map((t) => ({ type: 'PAYMENT' as const, trade: t, amount: t.amount, at: t.paidAt! })),
      ...[...this.refunds.values()]
        .filter((r) => within(r.createdAt))
        .map((r) => ({ type: 'REFUND' as const, trade: this.trades.get(r.outTradeNo)!, refund: r, amount: r.amount, at: r.createdAt })),
    ];
  }

  pay(outTradeNo: string): SandboxTrade {
    const trade = this.trades.get(outTradeNo)!;
    Object.assign(trade, { status: 'PAID', paidAt: new Date() });
    return trade;
  }
}

const gateway = new UnionPaySandboxGateway();
let merchant: UnionPayCredentials;
let secrets: Record<string, string>;
let store: FakeStore;
let adapter: UnionPayAdapter;
/** What the adapter sent, and a hook to alter what the gateway answers. */
let sent: Record<string, string>[];
let tamper: (answer: string) => string;

beforeAll(async () => {
  const account = await gateway.provision(newKeyPair);
  merchant = account.merchant as unknown as UnionPayCredentials;
  secrets = account.gateway;
}, 60_000); // RSA key generation on a loaded machine

beforeEach(() => {
  store = new FakeStore();
  sent = [];
  tamper = (a) => a;
  const controller = new UnionPayGatewayController(
    store as unknown as ConstructorParameters<typeof UnionPayGatewayController>[0],
    { gatewaySecrets: () => Promise.resolve(secrets) } as unknown as ConstructorParameters<typeof UnionPayGatewayController>[1],
  );
  const routes: Record<string, 'backTrans' | 'queryTrans' | 'fileTrans'> = {
    '/sandbox/unionpay/gateway/api/backTransReq.do': 'backTrans',
    '/sandbox/unionpay/gateway/api/queryTrans.do': 'queryTrans',
    '/sandbox/unionpay/gateway/api/fileTransReq.do': 'fileTrans',
  };
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (url, init) => {
    const body = String(init?.body);
    sent.push(Object.fromEntries(new URLSearchParams(body)));
    const reply = { header: () => reply };
    const route = routes[new URL(String(url)).pathname];
    if (!route) return new Response('not found', { status: 404 });
    const answer = await controller[route]({ rawBody: Buffer.from(body) } as never, reply as never);
    return new Response(tamper(answer), { status: 200 });
  });
  adapter = new UnionPayAdapter(merchant, (path) => `http://127.0.0.1:9${path}`);
});

afterEach(() => {
  jest.restoreAllMocks();
});

const outTradeNo = (n: number) => n.toString(16).padStart(32, 'a');

function create(no: string, amount = 1234n) {
  return adapter.createPayment({ outTradeNo: no, amount, currency: 'CNY', subject: 'top-up', notifyUrl: 'http://127.0.0.1:9/v1/providers/UNIONPAY/notifications', expiresAt: new Date(Date.now() + 900_000) });
}

/** The gateway's signing public key, as its certificate states it. */
const signingPublicKey = (): string => new X509Certificate(secrets.signCert).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const parse = (body: string, a: UnionPayAdapter = adapter) => a.parseNotification({ path: '/v1/providers/UNIONPAY/notifications', rawBody: Buffer.from(body), headers: {} });

describe('UnionPayAdapter signing (UPOP 5.1.0, signMethod 01)', () => {
  it('digests every field but signature, sorted by name, as lowercase SHA-256 hex', () => {
    const expected = createHash('sha256').update('accessType=0&merId=777290058110097&orderId=20250101abc&txnAmt=1&version=5.1.0', 'utf8').digest('hex');
    expect(unionPayDigest({ version: '5.1.0', txnAmt: '1', orderId: '20250101abc', signature: 'ignored', merId: '777290058110097', accessType: '0' })).toBe(expected);
  });

  it('sends a consume (01/07) signed with SHA256withRSA over the digest, and gets the QR code', async () => {
    const checkout = await create(outTradeNo(1));
    expect(checkout).toEqual({ providerTradeId: outTradeNo(1), qrPayload: expect.stringMatching(/^https:\/\/qr\.95516\.com\/00010000\/01\d{21}$/) });
    const [req] = sent;
    expect(req).toMatchObject({ version: '5.1.0', encoding: 'UTF-8', signMethod: '01', certId: merchant.certId, merId: merchant.merId, txnType: '01', txnSubType: '07', bizType: '000000', channelType: '08', accessType: '0', currencyCode: '156', txnAmt: '1234', orderId: outTradeNo(1) });
    expect(req.txnTime).toMatch(/^\d{14}$/);
    expect(req.payTimeout).toMatch(/^\d{14}$/);
    const { signature, ...rest } = req;
    const hex = createHash('sha256').update(Object.keys(rest).sort().map((k) => `${k}=${rest[k]}`).join('&')).digest('hex');
    expect(createVerify('RSA-SHA256').update(hex).verify(secrets.merchantPublicKey, signature, 'base64')).toBe(true);
  });

  it('is refused by the gateway (respCode 11) when signed with another key', async () => {
    const other = await newKeyPair();
    const impostor = new UnionPayAdapter({ ...merchant, privateKey: other.privateKey }, (p) => `http://127.0.0.1:9${p}`);
    await expect(impostor.createPayment({ outTradeNo: outTradeNo(2), amount: 1n, currency: 'CNY', subject: 's', notifyUrl: 'http://x/n', expiresAt: new Date(Date.now() + 60_000) })).rejects.toThrow(/refused: 11/);
    expect(store.trades.size).toBe(0);
  });

  it('refuses an answer altered in transit, or without its signing certificate', async () => {
    tamper = (a) => a.replace(/qrCode=[^&]+/, 'qrCode=https%3A%2F%2Fevil.example');
    await expect(create(outTradeNo(3))).rejects.toThrow(ProviderCallError);
    tamper = (a) => a.replace(/(^|&)signPubKeyCert=[^&]+/, '');
    await expect(adapter.queryPayment(outTradeNo(3))).rejects.toThrow(/does not verify/);
  });
});

describe('UnionPayAdapter against the sandbox gateway', () => {
  it('queries a trade: in process, then paid with amount and time; unknown orders are NOT_FOUND', async () => {
    await create(outTradeNo(10), 500n);
    await expect(adapter.queryPayment(outTradeNo(10))).resolves.toMatchObject({ status: 'PENDING', amount: 500n, currency: 'CNY' });
    const paid = store.pay(outTradeNo(10));
    const trade = await adapter.queryPayment(outTradeNo(10));
    expect(trade).toMatchObject({ status: 'SUCCEEDED', providerTradeId: paid.tradeNo, amount: 500n, currency: 'CNY', merchantId: merchant.merId });
    expect(trade.paidAt?.getTime()).toBe(Math.floor(paid.paidAt!.getTime() / 1000) * 1000);
    expect(sent.at(-1)).toMatchObject({ txnType: '00', txnSubType: '00', orderId: outTradeNo(10) });
    await expect(adapter.queryPayment(outTradeNo(11))).resolves.toEqual({ outTradeNo: outTradeNo(11), status: 'NOT_FOUND' });
  });

  it('closes an unpaid trade through a cancel (31); a paid one is ALREADY_PAID, an unknown one NOT_FOUND', async () => {
    await create(outTradeNo(20));
    await expect(adapter.closePayment(outTradeNo(20))).resolves.toBe('CLOSED');
    expect(store.trades.get(outTradeNo(20))!.status).toBe('CLOSED');
    expect(sent.find((r) => r.txnType === '31')).toMatchObject({ origQryId: store.trades.get(outTradeNo(20))!.tradeNo, txnAmt: '1234' });
    await expect(adapter.queryPayment(outTradeNo(20))).resolves.toMatchObject({ status: 'FAILED' });
    await create(outTradeNo(21));
    store.pay(outTradeNo(21));
    await expect(adapter.closePayment(outTradeNo(21))).resolves.toBe('ALREADY_PAID');
    await expect(adapter.closePayment(outTradeNo(22))).resolves.toBe('NOT_FOUND');
  });

  it('refunds by the paid consume queryId, once per refund number, never beyond the amount', async () => {
    await create(outTradeNo(30), 1000n);
    const paid = store.pay(outTradeNo(30));
    const request = { outTradeNo: outTradeNo(30), outRefundNo: 'R0000000000000001', amount: 400n, totalAmount: 1000n, currency: 'CNY' as const };
    const first = await adapter.refund(request);
    expect(first).toEqual({ status: 'SUCCEEDED', providerRefundId: store.refunds.get('R0000000000000001')!.refundNo });
    expect(sent.find((r) => r.txnType === '04')).toMatchObject({ txnSubType: '00', orderId: 'R0000000000000001', origQryId: paid.tradeNo, txnAmt: '400' });
    await expect(adapter.refund(request)).resolves.toEqual(first);
    expect(paid.refunded).toBe(400n);
    await expect(adapter.refund({ ...request, outRefundNo: 'R0000000000000002', amount: 601n })).resolves.toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/^33/) });
    expect(paid.refunded).toBe(400n);
    await create(outTradeNo(31));
    // an unpaid trade is not a refusal to reverse money over: the refund is retried later (throws)
    await expect(adapter.refund({ ...request, outTradeNo: outTradeNo(31), outRefundNo: 'R0000000000000003' })).rejects.toThrow(/queries as PENDING/);
  });

  it('reads the settlement file (deflated CSV in fileContent, fen, MMDD times given the asked year)', async () => {
    await create(outTradeNo(40), 800n);
    const paid = store.pay(outTradeNo(40));
    await adapter.refund({ outTradeNo: outTradeNo(40), outRefundNo: 'R0000000000000040', amount: 300n, totalAmount: 800n, currency: 'CNY' });
    const day = shanghaiDay(paid.paidAt!);
    const rows = await adapter.fetchSettlement(day);
    expect(sent.at(-1)).toMatchObject({ txnType: '76', fileType: '00', settleDate: day.slice(5, 7) + day.slice(8) });
    const second = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;
    expect(rows).toEqual([
      { type: 'PAYMENT', outTradeNo: outTradeNo(40), outRefundNo: undefined, providerTradeId: paid.tradeNo, amount: 800n, currency: 'CNY', at: new Date(second(paid.paidAt!)) },
      { type: 'REFUND', outTradeNo: outTradeNo(40), outRefundNo: 'R0000000000000040', providerTradeId: paid.tradeNo, amount: 300n, currency: 'CNY', at: new Date(second(store.refunds.get('R0000000000000040')!.createdAt)) },
    ]);
    expect(gateway.settlementFile(await store.settlementEntries('UNIONPAY', new Date(0), new Date(Date.now() + 1000))).body.split('\n')[1]).toMatch(new RegExp(`^01,${outTradeNo(40)},,\\d{21},,800,156,\\d{10}$`));
  });
});

describe('UnionPayAdapter back notifications', () => {
  const trade = (over: Partial<SandboxTrade> = {}): SandboxTrade => ({
    provider: 'UNIONPAY',
    outTradeNo: outTradeNo(50),
    tradeNo: '761912311000000123456',
    merchantId: merchant.merId,
    amount: 2500n,
    currency: 'CNY',
    subject: '',
    notifyUrl: 'http://127.0.0.1:9/v1/providers/UNIONPAY/notifications',
    status: 'PAID',
    refunded: 0n,
    // 23:59 on 31 Dec in Beijing, paid 00:00:30 on 1 Jan: traceTime's MMDD belongs to the next year
    expiresAt: new Date('2025-12-31T17:00:00Z'),
    createdAt: new Date('2025-12-31T15:59:00Z'),
    paidAt: new Date('2025-12-31T16:00:30Z'),
    ...over,
  });

  it('accepts a genuine one: status, amount, currency, merchant, id and pay time', () => {
    const message = gateway.notification(trade(), secrets, {});
    expect(message.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(message.body).get('traceTime')).toBe('0101000030');
    expect(parse(message.body)).toEqual({
      notificationId: message.notificationId,
      merchantId: merchant.merId,
      outTradeNo: outTradeNo(50),
      providerTradeId: '761912311000000123456',
      status: 'SUCCEEDED',
      amount: 2500n,
      currency: 'CNY',
      paidAt: new Date('2025-12-31T16:00:30Z'),
    });
    expect(message.notificationId).toBe('76191231100000012345600');
    expect(gateway.notification(trade(), secrets, {}).notificationId).toBe(message.notificationId);
  });

  it('reports a failed trade as FAILED under another id', () => {
    const message = gateway.notification(trade({ status: 'FAILED', paidAt: null }), secrets, {});
    expect(parse(message.body)).toMatchObject({ status: 'FAILED', notificationId: message.notificationId, paidAt: undefined });
    expect(message.notificationId).not.toBe(gateway.notification(trade(), secrets, {}).notificationId);
  });

  it('carries overridden amount, currency (as its numeric code), merchant and id, still signed', () => {
    const message = gateway.notification(trade(), secrets, { amount: 1n, currency: 'HKD', merchantId: '777290058999999', notificationId: 'N1' });
    expect(new URLSearchParams(message.body).get('currencyCode')).toBe('344');
    expect(parse(message.body)).toMatchObject({ amount: 1n, currency: 'HKD', merchantId: '777290058999999', notificationId: message.notificationId });
    expect(message.notificationId).toBe('N100');
  });

  it('carries signPubKeyCert, not certId, as UnionPay 5.1.0 does', () => {
    const fields = Object.fromEntries(new URLSearchParams(gateway.notification(trade(), secrets, {}).body));
    expect(fields.signPubKeyCert).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(fields.certId).toBeUndefined();
  });

  it('rejects a corrupted signature, an altered body, another key, a certificate outside the configured chain, garbage and repeated fields', () => {
    const body = gateway.notification(trade(), secrets, {}).body;
    expect(() => parse(gateway.notification(trade(), secrets, { corruptSignature: true }).body)).toThrow(NotificationRejectedError);
    expect(() => parse(body.replace('txnAmt=2500', 'txnAmt=25000'))).toThrow(/signature/);
    const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const otherKey = pair();
    // a certificate for the right key, but issued under another root: a forger's own chain
    const forged = certificateChain(pair(), pair(), signingPublicKey());
    expect(() => parse(gateway.notification(trade(), { ...secrets, signCert: forged.signCert }, {}).body)).toThrow(/certificate issued under the configured root/);
    // our configuration trusts another root: the gateway's real certificate no longer chains
    const elsewhere = new UnionPayAdapter({ ...merchant, rootCert: forged.rootCert, middleCert: forged.middleCert }, (p) => p);
    expect(() => parse(body, elsewhere)).toThrow(/signature/);
    expect(() => parse(gateway.notification(trade(), { ...secrets, privateKey: otherKey.privateKey }, {}).body)).toThrow(/signature/);
    expect(() => parse('')).toThrow(NotificationRejectedError);
    expect(() => parse('{"respCode":"00"}')).toThrow(NotificationRejectedError);
    expect(() => parse(`${body}&txnAmt=1`)).toThrow(NotificationRejectedError);
  });

  it('rejects a certificate of the configured chain once expired', () => {
    const tenYearsAgo = new Date(Date.now() - 10 * 365 * 24 * 3600_000);
    const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const old = certificateChain(pair(), pair(), signingPublicKey(), tenYearsAgo);
    const stale = new UnionPayAdapter({ ...merchant, rootCert: old.rootCert, middleCert: old.middleCert }, (p) => p);
    expect(() => parse(gateway.notification(trade(), { ...secrets, signCert: old.signCert }, {}).body, stale)).toThrow(/signature/);
    // the same chain, current: accepted
    const fresh = certificateChain(pair(), pair(), signingPublicKey());
    const current = new UnionPayAdapter({ ...merchant, rootCert: fresh.rootCert, middleCert: fresh.middleCert }, (p) => p);
    expect(parse(gateway.notification(trade(), { ...secrets, signCert: fresh.signCert }, {}).body, current).status).toBe('SUCCEEDED');
  });

  it('refuses a configuration whose middle certificate the root did not issue', () => {
    const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const other = certificateChain(pair(), pair(), signingPublicKey());
    expect(() => new UnionPayAdapter({ ...merchant, middleCert: other.middleCert }, (p) => p)).toThrow(/middleCert/);
  });

  it('rejects a currency it cannot name', () => {
    expect(() => parse(gateway.notification(trade(), secrets, { currency: 'USD' }).body)).toThrow(/currencyCode 840/);
  });

  it('answers 200 ok on accept and 400 on reject, as UnionPay reads HTTP 200 as acknowledged', () => {
    expect(adapter.notificationReply(true)).toMatchObject({ status: 200, body: 'ok' });
    expect(adapter.notificationReply(false).status).toBe(400);
    expect(gateway.acknowledged(200)).toBe(true);
    expect(gateway.acknowledged(400)).toBe(false);
  });
});
