import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { registerUser, verifiedUser } from '../support/factories.js';
import type { TestUser } from '../support/factories.js';
import { idemKey, order, setFaults, topUp } from '../support/payments.js';

describe('POST /v1/wallet/top-ups and GET /v1/payment-orders/:id', () => {
  let app: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    app = await startApp({ PAYMENT_QUERY_INTERVAL_MS: '3600000' });
    user = await verifiedUser(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (body: unknown, key: string | null = idemKey(), token = user.accessToken) =>
    app.request('POST', '/v1/wallet/top-ups', { token, body, headers: key ? { 'idempotency-key': key } : {} });

  it('refuses bad input with 400 and names the field', async () => {
    for (const body of [
      { amount: 0, currency: 'CNY', provider: 'ALIPAY' },
      { amount: 10.5, currency: 'CNY', provider: 'ALIPAY' },
      { amount: '100', currency: 'CNY', provider: 'ALIPAY' },
      { amount: 100_000_001, currency: 'CNY', provider: 'ALIPAY' },
      { amount: 100, currency: 'USD', provider: 'ALIPAY' },
      { amount: 100, currency: 'CNY', provider: 'PAYPAL' },
      { amount: 100, currency: 'CNY', provider: 'ALIPAY', userId: user.id },
    ]) {
      expectError(await post(body), 400, 'VALIDATION_FAILED');
    }
    expectError(await post({ amount: 100, currency: 'CNY', provider: 'ALIPAY' }, null), 400, 'IDEMPOTENCY_KEY_REQUIRED');
  });

  it('needs real-name verification (KYC level 1) and a signed-in user', async () => {
    const anonymous = await app.request('POST', '/v1/wallet/top-ups', { body: { amount: 100, currency: 'CNY', provider: 'ALIPAY' }, headers: { 'idempotency-key': idemKey() } });
    expectError(anonymous, 401, 'UNAUTHENTICATED');
    const unverified = await registerUser(app);
    expectError(await post({ amount: 100, currency: 'CNY', provider: 'ALIPAY' }, idemKey(), unverified.accessToken), 403, 'KYC_REQUIRED');
  });

  it('is idempotent: the same key and body return the same order, another body 422', async () => {
    const key = idemKey();
    const body = { amount: 300, currency: 'CNY', provider: 'WECHAT_PAY' };
    const first = await post(body, key);
    const again = await post(body, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expectError(await post({ ...body, amount: 301 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('converts to the currency the provider takes, or refuses a currency it cannot take (422)', async () => {
    const hk = await topUp(app, user, 'ALIPAY_HK', 1000, 'MOP');
    expect(hk).toMatchObject({ amount: 1000, currency: 'MOP', providerAmount: { amount: 971, currency: 'HKD', rate: '0.9709' } });
    expectError(await post({ amount: 1000, currency: 'HKD', provider: 'ALIPAY' }), 422, 'CURRENCY_NOT_SUPPORTED');
  });

  it('answers 502 PROVIDER_UNAVAILABLE when the provider cannot open the trade (the order fails); the same key then succeeds', async () => {
    const key = idemKey();
    const body = { amount: 400, currency: 'CNY', provider: 'UNIONPAY' };
    await setFaults(app, 'UNIONPAY', { notifications: 'NORMAL', gateway: 'DOWN' });
    try {
      expectError(await post(body, key), 502, 'PROVIDER_UNAVAILABLE');
    } finally {
      await setFaults(app, 'UNIONPAY', { notifications: 'NORMAL', gateway: 'UP' });
    }
    const retried = await post(body, key);
    expect(retried.status).toBe(201);
    expect(retried.body.status).toBe('PENDING');
  });

  it("shows an order to its owner only: anyone else gets 404, as for an order that does not exist", async () => {
    const o = await topUp(app, user, 'ALIPAY', 100);
    expect(await order(app, user, o.id)).toMatchObject({ id: o.id, status: 'PENDING', purpose: 'WALLET_TOP_UP', provider: 'ALIPAY', amount: 100 });
    const other = await verifiedUser(app);
    expectError(await app.request('GET', `/v1/payment-orders/${o.id}`, { token: other.accessToken }), 404, 'NOT_FOUND');
    expectError(await app.request('GET', '/v1/payment-orders/00000000-0000-4000-8000-000000000000', { token: user.accessToken }), 404, 'NOT_FOUND');
    expectError(await app.request('GET', '/v1/payment-orders/not-a-uuid', { token: user.accessToken }), 404, 'NOT_FOUND');
  });
});
