import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { RefundsService } from '@app/payments';
import type { Refund } from '@app/payments';
import { WalletService } from '@app/ledger';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import type { TestUser } from '../support/factories.js';
import { balance, eventually, order, pay, PROVIDERS, sandbox, setFaults, shanghaiToday, topUp, topUpCredits } from '../support/payments.js';

/**
 * One contract, every adapter against its sandbox gateway, over HTTP and
 * each provider's real signing scheme: create, pay + notify, query, fail,
 * refund, settlement file.
 */
describe.each(PROVIDERS)('payment provider contract: %s', (provider) => {
  let app: TestApp;
  let user: TestUser;
  // the Shanghai day the suite's payments began on (a run across midnight there spans two days)
  let firstDay: string;
  // ALIPAY_HK charges HKD for a CNY top-up at the configured rate (CNY/HKD=1.0870): 1000 fen -> 1087 cents
  const charged = (cny: number) => (provider === 'ALIPAY_HK' ? Math.ceil(cny * 1.087) : cny);

  beforeAll(async () => {
    app = await startApp({ PAYMENT_QUERY_INTERVAL_MS: '300', ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    user = await verifiedUser(app);
    firstDay = shanghaiToday();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('create: a top-up opens a trade at the provider and returns its checkout', async () => {
    const o = await topUp(app, user, provider, 1000);
    expect(o).toMatchObject({ status: 'PENDING', provider, amount: 1000, currency: 'CNY', purpose: 'WALLET_TOP_UP' });
    expect(typeof o.checkout.providerTradeId).toBe('string');
    expect(o.checkout.qrPayload ?? o.checkout.redirectUrl).toEqual(expect.any(String));
    const trade = await app.request('GET', `/sandbox/${provider}/trades/${o.checkout.providerTradeId}`);
    expect(trade.body).toMatchObject({ status: 'WAITING', amount: charged(1000), currency: provider === 'ALIPAY_HK' ? 'HKD' : 'CNY' });
    if (provider === 'ALIPAY_HK') {
      expect(o.providerAmount).toMatchObject({ amount: 1087, currency: 'HKD', rate: '1.087', rateSource: expect.any(String), rateAsOf: '2026-11-20T08:00:00.000Z' });
    } else {
      expect(o.providerAmount).toBeUndefined();
    }
  });

  it('pay + notify: the verified notification credits the wallet once and ends the order SUCCEEDED', async () => {
    const u = await verifiedUser(app);
    const o = await topUp(app, u, provider, 2500);
    const paid = await pay(app, provider, o.checkout.providerTradeId);
    expect(paid.notification.deliveries).toEqual([{ status: expect.any(Number), acknowledged: true }]);
    const done = await order(app, u, o.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', completedAt: expect.any(String), checkout: null });
    expect(await balance(app, u)).toBe(2500);
    expect(await topUpCredits(app, u)).toEqual([2500]);
  });

  it('query: with the notification dropped, the platform queries the provider and credits once', async () => {
    const u = await verifiedUser(app);
    await setFaults(app, provider, { notifications: 'DROP' });
    try {
      const o = await topUp(app, u, provider, 700);
      const paid = await pay(app, provider, o.checkout.providerTradeId);
      expect(paid.notification.deliveries).toEqual([]);
      await eventually(async () => (await order(app, u, o.id)).status === 'SUCCEEDED', 15_000, 'the query job');
      expect(await balance(app, u)).toBe(700);
    } finally {
      await setFaults(app, provider, { notifications: 'NORMAL' });
    }
  });

  it('fail: a failed payment fails the order and credits nothing', async () => {
    const u = await verifiedUser(app);
    const o = await topUp(app, u, provider, 900);
    const res = await sandbox(app, provider, `trades/${o.checkout.providerTradeId}/fail`);
    expect(res.status).toBe(200);
    if (provider === 'WECHAT_PAY') {
      // WeChat Pay calls back on success only: the platform learns of the failure by query
      expect(res.body.notification.deliveries).toEqual([]);
      await eventually(async () => (await order(app, u, o.id)).status === 'FAILED', 15_000, 'the query job');
    }
    expect((await order(app, u, o.id)).status).toBe('FAILED');
    expect(await balance(app, u)).toBe(0);
    // a failed trade cannot be paid afterwards
    expect((await sandbox(app, provider, `trades/${o.checkout.providerTradeId}/pay`)).status).toBe(409);
  });

  it('refund: back through the provider, idempotent, never above what was captured', async () => {
    const u = await verifiedUser(app);
    const o = await topUp(app, u, provider, 1000);
    await pay(app, provider, o.checkout.providerTradeId);
    const refunds = app.api.app.get(RefundsService);
    const dataSource = app.api.app.get(DataSource);
    const wallet = await app.api.app.get(WalletService).walletAccount(u.id, 'CNY');
    const request = (amount: number, key: string): Promise<Refund> =>
      dataSource.transaction((m) => refunds.request(m, { orderId: o.id, amount: BigInt(amount), reason: 'customer asked', requestKey: key, source: wallet }));

    const first = await request(400, 'r1');
    expect(await request(400, 'r1')).toMatchObject({ id: first.id });
    await expect(request(700, 'r2')).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURE' });
    expect(await balance(app, u)).toBe(600);
    await eventually(async () => (await refunds.forOrder(o.id))[0]?.status === 'SUCCEEDED', 15_000, 'the refund job');
    const trade = await app.request('GET', `/sandbox/${provider}/trades/${o.checkout.providerTradeId}`);
    expect(trade.body.refunded).toBe(Number(first.providerAmount));
    expect(Number(first.providerAmount)).toBe(provider === 'ALIPAY_HK' ? 434 : 400); // 400 x 1087 / 1000, rounded down

    const rest = await request(600, 'r3');
    await eventually(async () => (await refunds.forOrder(o.id)).every((r) => r.status === 'SUCCEEDED'), 15_000, 'the second refund');
    const after = await app.request('GET', `/sandbox/${provider}/trades/${o.checkout.providerTradeId}`);
    // the last refund returns exactly what is left: the payer gets back all they paid
    expect(after.body.refunded).toBe(charged(1000));
    expect(Number(first.providerAmount + rest.providerAmount)).toBe(charged(1000));
    expect(await balance(app, u)).toBe(0);
  });

  it("settlement: the provider's file lists the day's payments and refunds, and reconciliation agrees with it", async () => {
    const admin = await adminToken(app);
    const today = shanghaiToday();
    // the days the payments above fell on: today, and the day before when the run crossed midnight in Shanghai
    const days = firstDay === today ? [today] : [firstDay, today];
    const totals = { platformRows: 0, providerRows: 0 };
    for (const date of days) {
      const run = await app.request('POST', '/v1/admin/reconciliation/runs', { token: admin, body: { date } });
      expect(run.status).toBe(201);
      const mine = run.body.runs.find((r: { provider: string }) => r.provider === provider);
      expect(mine).toMatchObject({ error: null, mismatches: 0 });
      expect(run.body.mismatches).toEqual([]);
      totals.platformRows += mine.platformRows;
      totals.providerRows += mine.providerRows;
    }
    // the payments of the tests above (create's is unpaid), and the two refunds
    expect(totals).toEqual({ platformRows: 5, providerRows: 5 });
    const file = await app.request('GET', `/sandbox/${provider}/settlements/${today}`);
    expect(file.status).toBe(200);
    expect(file.text.length).toBeGreaterThan(0);
  });
});
