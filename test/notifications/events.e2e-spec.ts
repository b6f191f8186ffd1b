import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { shanghaiDay } from '@app/common';
import { JobsService } from '@app/jobs';
import { startApp, type TestApp } from '../support/app.js';
import { bill, credit, loadBills, makeBiller, payBill, type TestBiller } from '../support/billing.js';
import { ADMIN, adminToken, verifiedUser, type TestUser } from '../support/factories.js';
import { eventually, pay, topUp } from '../support/payments.js';
import { openEvents, type SseClient } from '../support/sse.js';

/** The events that exist today, each written in the transaction of the event (api.md, Notifications and live events). */
describe('notifications of bills and top-ups', () => {
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;
  let billerName: string;
  const streams: SseClient[] = [];

  const events = async (user: TestUser): Promise<SseClient> => {
    const s = await openEvents(app.baseUrl, '/v1/me/events', { authorization: `Bearer ${user.accessToken}` });
    streams.push(s);
    return s;
  };
  const list = async (user: TestUser): Promise<any[]> => (await app.request('GET', '/v1/me/notifications?limit=200', { token: user.accessToken })).body.items;
  const link = async (user: TestUser, customerRef: string): Promise<string> => {
    const res = await app.request('POST', '/v1/me/biller-accounts', { token: user.accessToken, body: { billerId: biller.billerId, customerRef } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const dayFromToday = (days: number) => shanghaiDay(new Date(Date.now() + days * 86_400_000));

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    billerName = `国网天津 ${Date.now()}`;
    biller = await makeBiller(app, admin, { name: billerName });
  });
  afterAll(async () => {
    streams.forEach((s) => s.close());
    await app?.close();
  });

  it('TOP_UP_SUCCEEDED arrives live when the provider confirms the top-up', async () => {
    const user = await verifiedUser(app);
    const stream = await events(user);
    const order = await topUp(app, user, 'WECHAT_PAY', 2500);
    expect(await list(user)).toEqual([]);
    await pay(app, 'WECHAT_PAY', order.checkout.providerTradeId);
    const event = await stream.next((e) => e.event === 'TOP_UP_SUCCEEDED');
    expect(JSON.parse(event.data)).toMatchObject({
      type: 'TOP_UP_SUCCEEDED',
      title: '充值成功',
      body: '通过微信支付充值 ¥25.00 已到账。',
      data: { orderId: order.id, amount: { amount: 2500, currency: 'CNY' }, provider: 'WECHAT_PAY' },
    });
    expect((await list(user)).map((n) => n.id)).toEqual([event.id]);
  });

  it('BILL_ISSUED for new bills on linked accounts only (one set-based write for a bulk load), not for updates', async () => {
    const user = await verifiedUser(app);
    const neighbour = await verifiedUser(app);
    await link(user, 'ISS-1');
    await link(neighbour, 'ISS-1');
    await link(user, 'ISS-2');
    const stream = await events(user);
    const bulk = Array.from({ length: 2000 }, (_, i) => bill(`BULK-${i}`, 100 + i));
    bulk.push(bill('ISS-1', 4321, { dueDate: '2026-12-20' }), bill('ISS-2', 1234, { period: '2026-10' }));
    const loaded = await loadBills(app, biller, bulk);
    expect(loaded.created).toBe(2002);

    const first = await stream.next((e) => e.event === 'BILL_ISSUED');
    const second = await stream.next((e) => e.event === 'BILL_ISSUED');
    const bodies = [first, second].map((e) => JSON.parse(e.data)).sort((a, b) => a.data.customerRef.localeCompare(b.data.customerRef));
    expect(bodies[0]).toMatchObject({
      title: '新账单',
      body: `${billerName}（户号 ISS-1）2026-11 账单 ¥43.21，请于 2026-12-20 前缴纳。`,
      data: { billerId: biller.billerId, billerName, customerRef: 'ISS-1', period: '2026-11', amount: { amount: 4321, currency: 'CNY' }, dueDate: '2026-12-20' },
    });
    expect(bodies[1].data).toMatchObject({ customerRef: 'ISS-2', period: '2026-10' });
    expect((await list(neighbour)).map((n) => n.data.customerRef)).toEqual(['ISS-1']);

    // the same bills again (an update, not a new bill): nothing new
    await loadBills(app, biller, [bill('ISS-1', 5000, { dueDate: '2026-12-20' })]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await list(user)).toHaveLength(2);
  });

  it('BILL_PAID to the payer in the payment transaction; a wallet payment refused for funds writes none', async () => {
    const user = await verifiedUser(app);
    await link(user, 'PAID-1');
    await loadBills(app, biller, [bill('PAID-1', 900)]);
    const billId = (await list(user))[0].data.billId as string;
    const stream = await events(user);

    const short = await payBill(app, user, billId, { method: 'WALLET' });
    expect(short.status).toBe(402);
    await credit(app, admin, user, 1000);
    const paid = await payBill(app, user, billId, { method: 'WALLET' });
    expect(paid.status).toBe(201);
    const event = await stream.next((e) => e.event === 'BILL_PAID');
    expect(JSON.parse(event.data)).toMatchObject({
      title: '账单已缴费',
      data: { billId, paymentId: paid.body.payment.id, billerName, customerRef: 'PAID-1', period: '2026-11', amount: { amount: 900, currency: 'CNY' }, receiptNo: paid.body.payment.receiptNo },
    });
    expect((await list(user)).filter((n) => n.type === 'BILL_PAID')).toHaveLength(1);
  });

  it('a payment rolled back at commit (after the notification was written) leaves no notification and announces none', async () => {
    const user = await verifiedUser(app);
    await link(user, 'ROLL-1');
    await loadBills(app, biller, [bill('ROLL-1', 4242), bill('ROLL-2', 100)]);
    const billId = (await list(user))[0].data.billId as string;
    await credit(app, admin, user, 10_000);
    const stream = await events(user);
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      // fires at COMMIT, after every write of the payment (ledger, webhook, notification) was made
      await db.query(`CREATE FUNCTION pg_temp_fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$`);
      await db.query(`CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON billing.bill_payments DEFERRABLE INITIALLY DEFERRED
                      FOR EACH ROW WHEN (NEW.amount = 4242) EXECUTE FUNCTION pg_temp_fail_commit()`);
      const failed = await payBill(app, user, billId, { method: 'WALLET' });
      expect(failed.status).toBe(500);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM billing.bill_payments WHERE bill_id = $1`, [billId]);
      expect(rows[0].n).toBe(0);
      expect((await list(user)).filter((n) => n.type === 'BILL_PAID')).toEqual([]);

      // the next committed event is the first the stream sees
      await db.query(`DROP TRIGGER fail_commit ON billing.bill_payments`);
      const paid = await payBill(app, user, billId, { method: 'WALLET' });
      expect(paid.status).toBe(201);
      const event = await stream.next();
      expect(event.event).toBe('BILL_PAID');
      expect(JSON.parse(event.data).data.paymentId).toBe(paid.body.payment.id);
    } finally {
      await db.query(`DROP TRIGGER IF EXISTS fail_commit ON billing.bill_payments`).catch(() => undefined);
      await db.end();
    }
  });

  it('AUTO_PAY_FAILED when auto-pay cannot pay (short wallet), once per attempt', async () => {
    const user = await verifiedUser(app);
    const accountId = await link(user, 'AUTO-N');
    expect((await app.request('PUT', `/v1/me/biller-accounts/${accountId}/auto-pay`, { token: user.accessToken, body: { maxAmount: 5000 } })).status).toBe(200);
    const stream = await events(user);
    await loadBills(app, biller, [bill('AUTO-N', 700)]);
    const event = await stream.next((e) => e.event === 'AUTO_PAY_FAILED', 25_000);
    expect(JSON.parse(event.data)).toMatchObject({
      title: '自动缴费未成功',
      data: { accountId, billerName, customerRef: 'AUTO-N', period: '2026-11', reason: expect.stringMatching(/^INSUFFICIENT_FUNDS/) },
    });
    expect((await list(user)).map((n) => n.type).sort()).toEqual(['AUTO_PAY_FAILED', 'BILL_ISSUED']);
  });

  it('BILL_DUE by the daily job: due within 3 days and unpaid, once per bill', async () => {
    const user = await verifiedUser(app);
    await link(user, 'DUE-1');
    await link(user, 'DUE-2');
    await link(user, 'DUE-3');
    await link(user, 'DUE-4');
    await loadBills(app, biller, [
      bill('DUE-1', 1000, { dueDate: dayFromToday(3) }),
      bill('DUE-2', 2000, { dueDate: dayFromToday(1) }),
      bill('DUE-3', 3000, { dueDate: dayFromToday(5) }),
      bill('DUE-4', 4000, { dueDate: dayFromToday(2) }),
    ]);
    const paidBill = (await list(user)).find((n) => n.data.customerRef === 'DUE-4').data.billId as string;
    await credit(app, admin, user, 4000);
    expect((await payBill(app, user, paidBill, { method: 'WALLET' })).status).toBe(201);

    const jobs = app.api.app.get(JobsService);
    await jobs.send('billing.bill-due', {});
    const due = await eventually(async () => {
      const items = (await list(user)).filter((n) => n.type === 'BILL_DUE');
      return items.length >= 2 ? items : undefined;
    }, 20_000, 'the BILL_DUE notifications');
    expect(due.map((n) => n.data.customerRef).sort()).toEqual(['DUE-1', 'DUE-2']);
    expect(due.find((n) => n.data.customerRef === 'DUE-1')).toMatchObject({
      title: '账单即将到期',
      data: { outstanding: { amount: 1000, currency: 'CNY' }, dueDate: dayFromToday(3) },
    });

    // the next day's run (or a second run today) does not repeat them
    await jobs.send('billing.bill-due', {});
    await new Promise((r) => setTimeout(r, 2500));
    expect((await list(user)).filter((n) => n.type === 'BILL_DUE')).toHaveLength(2);
  });
});
