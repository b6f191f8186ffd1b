import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createSign, createVerify, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
// the sandbox gateway plays Alipay+ here: its keys, notifications and settlement file
import { AlipayHkSandboxGateway } from '@app/provider-sandbox';
import type { GatewaySecrets, KeyPair, SandboxTrade } from '@app/provider-sandbox';
import { NotificationRejectedError, ProviderCallError } from '../provider/payment-provider.js';
import { AlipayHkAdapter, amsSignContent, signatureFromHeader } from './alipay-hk.adapter.js';

const newKeyPair = async (): Promise<KeyPair> =>
  promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

const GATEWAY_ORIGIN = 'http://gateway.test';
const NOTIFY_URL = 'https://pay.example.com/v1/providers/ALIPAY_HK/notifications';
const resolveUrl = (url: string): string => GATEWAY_ORIGIN + url;

const gateway = new AlipayHkSandboxGateway();
let merchant: Record<string, unknown>;
let secrets: GatewaySecrets;
let adapter: AlipayHkAdapter;

beforeAll(async () => {
  ({ merchant, gateway: secrets } = await gateway.provision(newKeyPair));
  adapter = new AlipayHkAdapter(merchant, resolveUrl);
}, 60_000); // RSA key generation on a loaded machine

function trade(overrides: Partial<SandboxTrade> = {}): SandboxTrade {
  return {
    provider: 'ALIPAY_HK',
    outTradeNo: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    tradeNo: '2026000000000000000012345678',
    merchantId: secrets.clientId,
    amount: 12345n,
    currency: 'HKD',
    subject: 'Wallet top-up',
    notifyUrl: NOTIFY_URL,
    status: 'PAID',
    refunded: 0n,
    expiresAt: new Date(Date.now() + 600_000),
    createdAt: new Date(Date.now() - 60_000),
    paidAt: new Date(Date.now() - 5_000),
    ...overrides,
  };
}

/** Signs like Alipay+ does, written out here independently of the gateway and adapter. */
function sign(method: string, path: string, clientId: string, time: string, body: string, privateKey: string): string {
  const signature = createSign('RSA-SHA256').update(`${method} ${path}\n${clientId}.${time}.${body}`, 'utf8').sign(privateKey, 'base64');
  return `algorithm=RSA256, keyVersion=1, signature=${encodeURIComponent(signature)}`;
}

const asInput = (n: { headers: Record<string, string>; body: string }) => ({ path: '/v1/providers/ALIPAY_HK/notifications', rawBody: Buffer.from(n.body), headers: n.headers });

describe('AMS signing', () => {
  it('builds the documented content to sign: "<METHOD> <URI>\\n<Client-Id>.<time>.<body>"', () => {
    expect(amsSignContent('POST', '/ams/api/v1/payments/pay', 'SANDBOX_5X00000000000000', '2019-05-28T12:12:12+08:00', '{"paymentRequestId":"1"}')).toBe(
      'POST /ams/api/v1/payments/pay\nSANDBOX_5X00000000000000.2019-05-28T12:12:12+08:00.{"paymentRequestId":"1"}',
    );
  });

  it('reads the URL-encoded signature out of the Signature header, with or without spaces', () => {
    expect(signatureFromHeader('algorithm=RSA256, keyVersion=1, signature=ab%2Bc%2Fd%3D%3D')).toBe('ab+c/d==');
    expect(signatureFromHeader('algorithm=RSA256,keyVersion=2,signature=xyz')).toBe('xyz');
    expect(signatureFromHeader('algorithm=RSA256,keyVersion=1')).toBeUndefined();
    expect(signatureFromHeader(undefined)).toBeUndefined();
  });

  it('provisions exactly the AlipayHkCredentials shape, a SANDBOX_ client id and two key pairs', () => {
    expect(Object.keys(merchant).sort()).toEqual(['alipayPublicKey', 'clientId', 'gateway', 'keyVersion', 'privateKey']);
    expect(merchant.gateway).toBe('/sandbox/alipay-hk');
    expect(merchant.keyVersion).toBe('1');
    expect(merchant.clientId).toMatch(/^SANDBOX_[A-Z0-9]{16}$/);
    expect(adapter.merchantId).toBe(merchant.clientId);
    expect(adapter.currency).toBe('HKD');
    expect(merchant.alipayPublicKey).not.toBe(secrets.merchantPublicKey);
  });

  it('refuses credentials missing a field', () => {
    expect(() => new AlipayHkAdapter({ ...merchant, keyVersion: '' }, resolveUrl)).toThrow(/keyVersion/);
  });
});

describe('parseNotification', () => {
  it('accepts the gateway notifyPayment of a paid trade, with its amount, currency and id', () => {
    const t = trade();
    const n = gateway.notification(t, secrets, {});
    const parsed = adapter.parseNotification(asInput(n));
    expect(parsed).toEqual({
      notificationId: n.notificationId,
      merchantId: secrets.clientId,
      outTradeNo: t.outTradeNo,
      providerTradeId: t.tradeNo,
      status: 'SUCCEEDED',
      amount: 12345n,
      currency: 'HKD',
      paidAt: new Date(Math.floor(t.paidAt!.getTime() / 1000) * 1000),
    });
    expect(parsed.notificationId).toBe(`${t.tradeNo}S`);
  });

  it('reads a failed payment as FAILED, with another id', () => {
    const n = gateway.notification(trade({ status: 'FAILED', paidAt: null }), secrets, {});
    const parsed = adapter.parseNotification(asInput(n));
    expect(parsed.status).toBe('FAILED');
    expect(parsed.notificationId).toBe(n.notificationId);
    expect(parsed.notificationId).toMatch(/F$/);
  });

  it('carries the overrides, still verified: amount, currency, merchant and notification id', () => {
    const n = gateway.notification(trade(), secrets, { amount: 1n, currency: 'CNY', merchantId: 'SANDBOX_OTHER', notificationId: 'redelivery-7' });
    expect(n.notificationId).toBe('redelivery-7');
    const parsed = adapter.parseNotification(asInput(n));
    expect(parsed).toMatchObject({ amount: 1n, currency: 'CNY', merchantId: 'SANDBOX_OTHER', notificationId: 'redelivery-7' });
  });

  it('rejects an altered body', () => {
    const n = gateway.notification(trade(), secrets, {});
    const body = n.body.replace('"value":"12345"', '"value":"99999"');
    expect(body).not.toBe(n.body);
    expect(() => adapter.parseNotification(asInput({ ...n, body }))).toThrow(NotificationRejectedError);
  });

  it('rejects a corrupted signature', () => {
    const n = gateway.notification(trade(), secrets, { corruptSignature: true });
    expect(() => adapter.parseNotification(asInput(n))).toThrow(NotificationRejectedError);
  });

  it('rejects a notification signed by another key', async () => {
    const other = await gateway.provision(newKeyPair);
    const n = gateway.notification(trade(), { ...other.gateway, clientId: secrets.clientId }, {});
    expect(() => adapter.parseNotification(asInput(n))).toThrow(/signature/);
  });

  it('rejects one whose Client-Id was swapped after signing', () => {
    const n = gateway.notification(trade(), secrets, {});
    expect(() => adapter.parseNotification(asInput({ ...n, headers: { ...n.headers, 'client-id': 'SANDBOX_OTHER' } }))).toThrow(/signature/);
  });

  it('rejects one signed for another notify path', () => {
    const n = gateway.notification(trade({ notifyUrl: 'https://pay.example.com/elsewhere' }), secrets, {});
    expect(() => adapter.parseNotification(asInput(n))).toThrow(/signature/);
  });

  it('accepts a fresh Request-Time and rejects one more than 5 minutes off', () => {
    const body = gateway.notification(trade(), secrets, {}).body;
    const at = (ms: number): { headers: Record<string, string>; body: string } => {
      const time = String(Date.now() + ms);
      return { body, headers: { 'client-id': secrets.clientId, 'request-time': time, signature: sign('POST', '/v1/providers/ALIPAY_HK/notifications', secrets.clientId, time, body, secrets.privateKey) } };
    };
    expect(adapter.parseNotification(asInput(at(-60_000))).status).toBe('SUCCEEDED');
    expect(() => adapter.parseNotification(asInput(at(-6 * 60_000)))).toThrow(/stale/);
    expect(() => adapter.parseNotification(asInput(at(6 * 60_000)))).toThrow(/stale/);
  });

  it('rejects missing headers and signed garbage', () => {
    const n = gateway.notification(trade(), secrets, {});
    expect(() => adapter.parseNotification(asInput({ ...n, headers: { 'request-time': n.headers['request-time'] } }))).toThrow(NotificationRejectedError);
    const time = String(Date.now());
    const garbage = '{"paymentAmount":{"currency":"HKD","value":"12.34"}}';
    const headers = { 'client-id': secrets.clientId, 'request-time': time, signature: sign('POST', '/v1/providers/ALIPAY_HK/notifications', secrets.clientId, time, garbage, secrets.privateKey) };
    expect(() => adapter.parseNotification({ path: '/v1/providers/ALIPAY_HK/notifications', rawBody: Buffer.from(garbage), headers })).toThrow(NotificationRejectedError);
  });

  it('answers what the gateway takes as acknowledged, and a refusal it retries', () => {
    const yes = adapter.notificationReply(true);
    const no = adapter.notificationReply(false);
    expect(JSON.parse(yes.body)).toEqual({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
    expect(gateway.acknowledged(yes.status, yes.body)).toBe(true);
    expect(gateway.acknowledged(no.status, no.body)).toBe(false);
    expect(gateway.acknowledged(500, yes.body)).toBe(false);
  });
});

describe('API calls', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  /** A stand-in Alipay+ that checks our request signature and answers `answer(path, body)` signed with its key. */
  function fakeAlipay(answer: (path: string, body: Record<string, unknown>) => unknown, tamper = false): { paths: string[] } {
    const seen = { paths: [] as string[] };
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const headers = init?.headers as Record<string, string>;
      const body = String(init?.body);
      seen.paths.push(url.pathname);
      // Alipay+ signs and verifies the path at its own root (/ams/...): what follows the gateway's mount
      const signedPath = url.pathname.replace(/^\/sandbox\/alipay-hk(?=\/)/, '');
      const requestSignature = signatureFromHeader(headers.Signature)!;
      const ok = createVerify('RSA-SHA256')
        .update(`POST ${signedPath}\n${headers['Client-Id']}.${headers['Request-Time']}.${body}`, 'utf8')
        .verify(secrets.merchantPublicKey, requestSignature, 'base64');
      const text = JSON.stringify(ok ? answer(url.pathname, JSON.parse(body) as Record<string, unknown>) : { result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F', resultMessage: 'bad' } });
      const time = '2026-01-02T03:04:05+08:00';
      return new Response(tamper ? text.replace('}', ',"x":1}') : text, {
        status: 200,
        headers: { 'client-id': secrets.clientId, 'response-time': time, signature: sign('POST', signedPath, secrets.clientId, time, text, secrets.privateKey) },
      });
    }) as typeof fetch;
    return seen;
  }

  const expiresAt = new Date('2026-03-01T10:00:00Z');
  const create = () => adapter.createPayment({ outTradeNo: 'order-1', amount: 10870n, currency: 'HKD', subject: 'Top-up', notifyUrl: NOTIFY_URL, expiresAt });

  it('creates a cashier payment: signed request, HKD minor units as strings, checkout from the verified answer', async () => {
    let sent: Record<string, unknown> = {};
    const seen = fakeAlipay((_path, body) => {
      sent = body;
      return { result: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: '' }, paymentId: 'P1', normalUrl: 'https://cashier/P1', orderCodeForm: { codeDetails: [{ codeValue: 'https://qr/P1', displayType: 'TEXT' }] } };
    });
    await expect(create()).resolves.toEqual({ providerTradeId: 'P1', redirectUrl: 'https://cashier/P1', qrPayload: 'https://qr/P1' });
    expect(seen.paths).toEqual(['/sandbox/alipay-hk/ams/sandbox/api/v1/payments/pay']);
    expect(sent).toMatchObject({
      productCode: 'CASHIER_PAYMENT',
      paymentRequestId: 'order-1',
      paymentAmount: { currency: 'HKD', value: '10870' },
      order: { referenceOrderId: 'order-1', orderAmount: { currency: 'HKD', value: '10870' } },
      paymentMethod: { paymentMethodType: 'ALIPAY_HK' },
      paymentExpiryTime: '2026-03-01T18:00:00+08:00',
      paymentNotifyUrl: NOTIFY_URL,
    });
  });

  it('refuses a response whose signature does not hold', async () => {
    fakeAlipay(() => ({ result: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: '' }, paymentId: 'P1' }), true);
    await expect(create()).rejects.toThrow(ProviderCallError);
  });

  it('throws when the gateway refuses our signature', async () => {
    fakeAlipay(() => ({ result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F', resultMessage: 'bad' } }));
    await expect(create()).rejects.toThrow(/INVALID_SIGNATURE/);
  });

  it('maps inquiryPayment: ORDER_NOT_EXIST is NOT_FOUND, SUCCESS is SUCCEEDED with amount', async () => {
    fakeAlipay((_p, body) =>
      body.paymentRequestId === 'missing'
        ? { result: { resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F', resultMessage: '' } }
        : { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: '' }, paymentStatus: 'SUCCESS', paymentId: 'P1', paymentAmount: { currency: 'HKD', value: '10870' }, paymentTime: '2026-03-01T17:00:00+08:00' },
    );
    await expect(adapter.queryPayment('missing')).resolves.toEqual({ outTradeNo: 'missing', status: 'NOT_FOUND' });
    await expect(adapter.queryPayment('order-1')).resolves.toEqual({
      outTradeNo: 'order-1',
      providerTradeId: 'P1',
      status: 'SUCCEEDED',
      amount: 10870n,
      currency: 'HKD',
      paidAt: new Date('2026-03-01T09:00:00Z'),
    });
  });

  it('refunds by the paymentId inquiry found; REFUND_AMOUNT_EXCEED is FAILED', async () => {
    const refunds: unknown[] = [];
    fakeAlipay((path, body) => {
      if (path.endsWith('/inquiryPayment')) return { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: '' }, paymentStatus: 'SUCCESS', paymentId: 'P1', paymentAmount: { currency: 'HKD', value: '100' } };
      refunds.push(body);
      return (body.refundAmount as { value: string }).value === '100'
        ? { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: '' }, refundId: 'R1' }
        : { result: { resultCode: 'REFUND_AMOUNT_EXCEED', resultStatus: 'F', resultMessage: 'too much' } };
    });
    const base = { outTradeNo: 'order-1', outRefundNo: 'refund-1', totalAmount: 100n, currency: 'HKD' as const };
    await expect(adapter.refund({ ...base, amount: 100n })).resolves.toEqual({ status: 'SUCCEEDED', providerRefundId: 'R1' });
    await expect(adapter.refund({ ...base, amount: 101n })).resolves.toMatchObject({ status: 'FAILED', reason: expect.stringContaining('REFUND_AMOUNT_EXCEED') });
    expect(refunds[0]).toEqual({ refundRequestId: 'refund-1', paymentId: 'P1', refundAmount: { currency: 'HKD', value: '100' } });
  });

  it('does not cancel a paid payment (Antom would reverse it)', async () => {
    const seen = fakeAlipay(() => ({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: '' }, paymentStatus: 'SUCCESS', paymentId: 'P1' }));
    await expect(adapter.closePayment('order-1')).resolves.toBe('ALREADY_PAID');
    expect(seen.paths.some((p) => p.endsWith('/cancel'))).toBe(false);
  });

  it('reads the gateway settlement report: payments and refunds, minor units, the <END> line skipped', async () => {
    const paid = trade({ amount: 10870n });
    const at = new Date('2026-03-01T02:00:00Z');
    const file = gateway.settlementFile(
      [
        { type: 'PAYMENT', trade: paid, amount: 10870n, at },
        { type: 'REFUND', trade: paid, refund: { outRefundNo: 'refund-1', outTradeNo: paid.outTradeNo, refundNo: 'R1', amount: 500n, createdAt: at }, amount: 500n, at },
      ],
      secrets,
    );
    expect(file.body.trimEnd().endsWith('<END>')).toBe(true);
    globalThis.fetch = (async (input: string | URL | Request) => {
      expect(String(input)).toBe(`${GATEWAY_ORIGIN}/sandbox/alipay-hk/settlements/2026-03-01`);
      return new Response(file.body, { status: 200 });
    }) as typeof fetch;
    await expect(adapter.fetchSettlement('2026-03-01')).resolves.toEqual([
      { type: 'PAYMENT', outTradeNo: paid.outTradeNo, outRefundNo: undefined, providerTradeId: paid.tradeNo, amount: 10870n, currency: 'HKD', at },
      { type: 'REFUND', outTradeNo: paid.outTradeNo, outRefundNo: 'refund-1', providerTradeId: paid.tradeNo, amount: 500n, currency: 'HKD', at },
    ]);
  });
});
