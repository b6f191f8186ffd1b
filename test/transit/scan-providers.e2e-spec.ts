import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@app/ledger';
import { buildVehicleSticker } from '@app/paycode';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser, type TestUser } from '../support/factories.js';
import { balance, eventually, idemKey, order, pay, sandbox, setFaults } from '../support/payments.js';
import { makeOperator, type TestOperator } from '../support/transit.js';

/** Scan-to-pay through the payment providers: a Hong Kong visitor pays a mainland bus in HKD with AlipayHK. */
describe('transit: scan-to-pay through providers (ALIPAY_HK in HKD)', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '250', PAYMENT_ORDER_TTL_MS: '4000' });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** kyc 1 by a Mainland Travel Permit for HK residents, and no CNY in the wallet. */
  const visitor = async (): Promise<TestUser> => {
    const user = await registerUser(app);
    const permit = `H${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const res = await app.request('POST', '/v1/me/real-name', { token: user.accessToken, body: { fullName: 'CHAN Tai Man', idType: 'HK_MO_PERMIT', idNumber: permit } });
    expect(res.status).toBe(200);
    return user;
  };
  const scan = (user: TestUser, method: string) =>
    app.request('POST', '/v1/transit/scan-to-pay', { token: user.accessToken, headers: { 'idempotency-key': idemKey() }, body: { vehicleQr: op.vehicle.staticQr, method } });
  const tripOf = async (user: TestUser, id: string) => (await app.request('GET', '/v1/transit/trips', { token: user.accessToken })).body.items.find((t: { id: string }) => t.id === id);
  const settled = async () => {
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const res = await app.request('GET', `/v1/transit/settlements?date=${day}&operatorId=${op.operatorId}`, { token: op.admin.accessToken });
    expect(res.status).toBe(200);
    return res.body.count as number;
  };

  it('captured: PENDING with an HKD checkout, then CHARGED; the order records the HKD amount and the rate; the operator is paid in CNY', async () => {
    const user = await visitor();
    const before = await settled();
    const res = await scan(user, 'ALIPAY_HK');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tripId: expect.any(String), fare: { amount: 200, currency: 'CNY' }, status: 'PENDING', method: 'ALIPAY_HK', paymentOrderId: expect.any(String), checkout: { providerTradeId: expect.any(String) } });
    expect(res.body.providerAmount).toMatchObject({ currency: 'HKD', amount: expect.any(Number), rate: expect.any(String) });
    expect(await tripOf(user, res.body.tripId)).toMatchObject({ status: 'PENDING', method: 'ALIPAY_HK', paymentOrderId: res.body.paymentOrderId });
    await pay(app, 'ALIPAY_HK', res.body.checkout.providerTradeId);
    await eventually(async () => (await tripOf(user, res.body.tripId)).status === 'CHARGED', 15_000, 'the trip to be charged');
    const o = await order(app, user, res.body.paymentOrderId);
    expect(o).toMatchObject({ status: 'SUCCEEDED', amount: 200, currency: 'CNY', providerAmount: { currency: 'HKD', rate: expect.any(String) } });
    expect(o.providerAmount.amount).toBeGreaterThan(200); // 1 CNY is more than 1 HKD
    expect(await balance(app, user)).toBe(0); // nothing from a CNY wallet
    expect(await settled()).toBe(before + 1);
    const notes = (await app.request('GET', '/v1/me/notifications', { token: user.accessToken })).body.items;
    expect(notes.filter((n: { type: string }) => n.type === 'RIDE_CHARGED')).toHaveLength(1);
  });

  it('failed: the trip is FAILED and nothing is charged', async () => {
    const user = await visitor();
    const before = await settled();
    const res = await scan(user, 'ALIPAY_HK');
    expect(res.status).toBe(201);
    await sandbox(app, 'ALIPAY_HK', `/trades/${res.body.checkout.providerTradeId}/fail`);
    await eventually(async () => (await tripOf(user, res.body.tripId)).status === 'FAILED', 15_000, 'the trip to fail');
    expect((await order(app, user, res.body.paymentOrderId)).status).toBe('FAILED');
    expect(await settled()).toBe(before);
  });

  it('captured after its order expired: the trip stays FAILED and the money is refunded at the provider', async () => {
    const user = await visitor();
    const before = await settled();
    const res = await scan(user, 'ALIPAY_HK');
    expect(res.status).toBe(201);
    const tradeId = res.body.checkout.providerTradeId;
    await setFaults(app, 'ALIPAY_HK', { notifications: 'DROP', gateway: 'DOWN' });
    try {
      await pay(app, 'ALIPAY_HK', tradeId);
      await eventually(async () => (await tripOf(user, res.body.tripId)).status === 'FAILED', 20_000, 'the trip to fail with its expired order');
    } finally {
      await setFaults(app, 'ALIPAY_HK', { notifications: 'NORMAL', gateway: 'UP' });
    }
    await eventually(async () => (await app.request('GET', `/sandbox/ALIPAY_HK/trades/${tradeId}`)).body.refunded > 0, 20_000, 'the refund at the provider');
    expect((await tripOf(user, res.body.tripId)).status).toBe('FAILED');
    expect(await settled()).toBe(before);
    expect((await verifyLedger(app.api.app.get(DataSource))).ok).toBe(true);
  });

  it('an unknown method is 400; a bad CRC, a malformed TLV or a sticker not ours is 422 INVALID_QR', async () => {
    const user = await visitor();
    const res = await scan(user, 'PAYPAL');
    expect(res.status).toBe(400);
    const qr = op.vehicle.staticQr;
    const badCrc = qr.slice(0, -4) + (qr.slice(-4) === '0000' ? '0001' : '0000');
    // well formed and ours, but the vehicle id is no UUID (36 hex digits, 36 dashes): refused before any lookup
    const notUuids = ['a'.repeat(36), '-'.repeat(36)].map((vehicleId) => buildVehicleSticker({ vehicleId, merchantName: 'Binhai Bus', merchantCity: 'Tianjin' }));
    for (const vehicleQr of [badCrc, '0002019999', `${qr.slice(0, 10)}ZZ${qr.slice(12)}`, ...notUuids]) {
      const r = await app.request('POST', '/v1/transit/scan-to-pay', { token: user.accessToken, headers: { 'idempotency-key': idemKey() }, body: { vehicleQr, method: 'ALIPAY_HK' } });
      expect([r.status, r.body.code]).toEqual([422, 'INVALID_QR']);
    }
  });
});
