import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { LedgerService, verifyLedger } from '@app/ledger';
import { RefundsService } from '@app/payments';
import { startApp, type TestApp } from '../support/app.js';
import { verifiedUser } from '../support/factories.js';
import { balance, eventually, order, pay, PROVIDERS, sandbox, setFaults, topUp } from '../support/payments.js';

/**
 * An order the platform expired while the provider was unreachable, then
 * found paid after all (by a late notification, or by the query that keeps
 * watching such orders): the money is neither lost nor credited; it is held
 * in suspense and refunded to the payer through the provider.
 */
describe('a payment captured after its order expired', () => {
  let app: TestApp;

  beforeAll(async () => {
    // the payer must pay before the order (and its trade) expires: 2.5 s was missed once by a first case
    // under a full parallel run, between two requests
    app = await startApp({ PAYMENT_QUERY_INTERVAL_MS: '250', PAYMENT_ORDER_TTL_MS: '5000' });
  });
  afterAll(async () => {
    await app?.close();
  });

  const cases = PROVIDERS.flatMap((p) => [
    [p, 'its redelivered notification'],
    [p, "the platform's watch query"],
  ]) as [(typeof PROVIDERS)[number], string][];

  it.each(cases)('%s, found by %s: the order stays EXPIRED, nothing is credited, the payer is refunded in full', async (provider, via) => {
    const user = await verifiedUser(app);
    const o = await topUp(app, user, provider, 1500);
    // the payer pays; the notification is lost and the gateway's API is down (queries and the close fail)
    await setFaults(app, provider, { notifications: 'DROP', gateway: 'DOWN' });
    try {
      await pay(app, provider, o.checkout.providerTradeId);
      await eventually(async () => (await order(app, user, o.id)).status === 'EXPIRED', 20_000, 'the order to expire');
    } finally {
      await setFaults(app, provider, { notifications: 'NORMAL', gateway: 'UP' });
    }
    if (via === 'its redelivered notification') {
      // the provider redelivers its notification once it is back
      const redelivered = await sandbox(app, provider, `trades/${o.checkout.providerTradeId}/notifications`, {});
      expect(redelivered.body.notification.deliveries[0].acknowledged).toBe(true);
    }
    // else: no notification ever comes; the expired order is still watched, and the query finds the payment

    const refunds = app.api.app.get(RefundsService);
    await eventually(async () => (await refunds.forOrder(o.id))[0]?.status === 'SUCCEEDED', 20_000, 'the refund');
    const trade = await app.request('GET', `/sandbox/${provider}/trades/${o.checkout.providerTradeId}`);
    expect(trade.body).toMatchObject({ status: 'PAID', refunded: trade.body.amount });
    expect(await order(app, user, o.id)).toMatchObject({ status: 'EXPIRED', refundedAmount: 1500 });
    expect(await balance(app, user)).toBe(0);
    // a second redelivery changes nothing
    await sandbox(app, provider, `trades/${o.checkout.providerTradeId}/notifications`, { notificationId: 'again' });
    expect(await refunds.forOrder(o.id)).toHaveLength(1);

    const dataSource = app.api.app.get(DataSource);
    const ledger = app.api.app.get(LedgerService);
    const [suspense] = await ledger.accountsOf('PLATFORM', 'platform', 'PAYMENTS_TO_RETURN');
    expect((await ledger.balance(suspense.id)).toJSON().amount).toBe(0);
    expect((await verifyLedger(dataSource)).ok).toBe(true);
  });
});
