import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PaymentOrdersService, PaymentOrderSweep } from '@app/payments';
import { startApp, type TestApp } from '../support/app.js';
import { verifiedUser } from '../support/factories.js';
import { balance, eventually, order, pay, PROVIDERS, sandbox, setFaults, topUp, topUpCredits } from '../support/payments.js';

const wrongCurrency = (provider: string) => (provider === 'ALIPAY_HK' ? 'CNY' : 'HKD');

/**
 * Notifications are believed only when signed by the provider and about
 * exactly the order (merchant, amount, currency); each id counts once, and
 * however notifications and queries arrive, an order is credited once.
 */
describe('notification integrity (no background queries)', () => {
  let app: TestApp;

  beforeAll(async () => {
    // the query job stays out of the way: only notifications can complete an order here
    app = await startApp({ PAYMENT_QUERY_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(PROVIDERS)('%s: forged notifications (bad signature, altered amount, wrong merchant, wrong currency) change nothing; a replayed id counts once', async (provider) => {
    const user = await verifiedUser(app);
    const o = await topUp(app, user, provider, 1200);
    await setFaults(app, provider, { notifications: 'DROP' });
    try {
      await pay(app, provider, o.checkout.providerTradeId);
    } finally {
      await setFaults(app, provider, { notifications: 'NORMAL' });
    }
    const resend = (body: Record<string, unknown>) => sandbox(app, provider, `trades/${o.checkout.providerTradeId}/notifications`, body);
    const forgeries = [
      { corruptSignature: true },
      { amount: 1 },
      { amount: 120000 },
      { merchantId: 'someone-else' },
      { currency: wrongCurrency(provider) },
    ];
    for (const forged of forgeries) {
      const res = await resend({ ...forged, notificationId: `forged-${Object.keys(forged)[0]}` });
      expect([JSON.stringify(forged), res.status, res.body.notification.deliveries[0].acknowledged]).toEqual([JSON.stringify(forged), 200, false]);
    }
    expect((await order(app, user, o.id)).status).toBe('PENDING');
    expect(await balance(app, user)).toBe(0);

    // the genuine one
    const genuine = await resend({});
    expect(genuine.body.notification.deliveries[0].acknowledged).toBe(true);
    expect((await order(app, user, o.id)).status).toBe('SUCCEEDED');
    // replayed (same id), and redelivered under another id: acknowledged, credited once
    expect((await resend({})).body.notification.deliveries[0].acknowledged).toBe(true);
    expect((await resend({ notificationId: 'another-delivery' })).body.notification.deliveries[0].acknowledged).toBe(true);
    expect(await balance(app, user)).toBe(1200);
    expect(await topUpCredits(app, user)).toEqual([1200]);
  });

  it.each(PROVIDERS)('%s: a notification and queries completing the same order at the same moment credit it once', async (provider) => {
    const user = await verifiedUser(app);
    const o = await topUp(app, user, provider, 800);
    await setFaults(app, provider, { notifications: 'DROP' });
    try {
      await pay(app, provider, o.checkout.providerTradeId);
    } finally {
      await setFaults(app, provider, { notifications: 'NORMAL' });
    }
    const orders = app.api.app.get(PaymentOrdersService);
    const sweep = app.api.app.get(PaymentOrderSweep);
    const pending = (await orders.get(o.id))!;
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => sandbox(app, provider, `trades/${o.checkout.providerTradeId}/notifications`, { notificationId: `n${i}` })),
      ...Array.from({ length: 5 }, () => sweep.follow(pending)),
    ]);
    expect((await order(app, user, o.id)).status).toBe('SUCCEEDED');
    expect(await balance(app, user)).toBe(800);
    expect(await topUpCredits(app, user)).toEqual([800]);
  });

  it('answers an unknown provider 404 and a notification for no order as not accepted', async () => {
    expect((await app.request('POST', '/v1/providers/PAYPAL/notifications', { body: {} })).status).toBe(404);
    const res = await app.request('POST', '/v1/providers/ALIPAY/notifications', {
      raw: 'notify_id=1&out_trade_no=nope&trade_status=TRADE_SUCCESS&total_amount=1.00&sign=AAAA',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([res.status, res.text]).toEqual([200, 'fail']);
  });
});

describe('notification faults converge to exactly one credit', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ PAYMENT_QUERY_INTERVAL_MS: '300' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(PROVIDERS)('%s: DUPLICATE, DROP and DELAY_MS', async (provider) => {
    const faults = [{ notifications: 'DUPLICATE' }, { notifications: 'DROP' }, { notifications: 'DELAY_MS', delayMs: 600 }];
    for (const fault of faults) {
      const user = await verifiedUser(app);
      await setFaults(app, provider, fault);
      try {
        const o = await topUp(app, user, provider, 500);
        const paid = await pay(app, provider, o.checkout.providerTradeId);
        expect(paid.notification.deliveries.length).toBe(fault.notifications === 'DUPLICATE' ? 2 : 0);
        await eventually(async () => (await order(app, user, o.id)).status === 'SUCCEEDED', 15_000, `${fault.notifications} to converge`);
        // let the delayed notification land too, then count
        await new Promise((r) => setTimeout(r, 800));
        expect([fault.notifications, await balance(app, user), await topUpCredits(app, user)]).toEqual([fault.notifications, 500, [500]]);
      } finally {
        await setFaults(app, provider, { notifications: 'NORMAL' });
      }
    }
  });
});
