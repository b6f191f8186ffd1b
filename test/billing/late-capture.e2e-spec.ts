import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { bill, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import { eventually, pay, setFaults } from '../support/payments.js';

describe('a bill payment captured after its payment order expired', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '250', PAYMENT_ORDER_TTL_MS: '3000' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows FAILED when the order expires, then REFUNDED when the late payment is found; the bill stays unpaid', async () => {
    const admin = await adminToken(app);
    const biller = await makeBiller(app, admin);
    await loadBills(app, biller, [bill('LATE-1', 1200)]);
    const user = await verifiedUser(app);
    const b = await fetchBill(app, user, biller, 'LATE-1');
    const res = await payBill(app, user, b.id, { method: 'UNIONPAY' });
    expect(res.body.payment.status).toBe('PENDING');
    const read = async () => (await app.request('GET', `/v1/payments/${res.body.payment.id}`, { token: user.accessToken })).body;
    await setFaults(app, 'UNIONPAY', { notifications: 'DROP', gateway: 'DOWN' });
    try {
      await pay(app, 'UNIONPAY', res.body.checkout.providerTradeId);
      await eventually(async () => (await read()).status === 'FAILED', 20_000, 'the payment to fail with its expired order');
    } finally {
      await setFaults(app, 'UNIONPAY', { notifications: 'NORMAL', gateway: 'UP' });
    }
    // the platform keeps watching the expired order and finds the money
    await eventually(async () => (await read()).status === 'REFUNDED', 20_000, 'the late capture');
    await eventually(
      async () => (await app.request('GET', `/sandbox/UNIONPAY/trades/${res.body.checkout.providerTradeId}`)).body.refunded === 1200,
      20_000,
      'the refund at the provider',
    );
    expect(await fetchBill(app, user, biller, 'LATE-1')).toMatchObject({ paidAmount: 0, status: 'UNPAID' });
    expect((await read()).receipt).toBeNull();
  });
});
