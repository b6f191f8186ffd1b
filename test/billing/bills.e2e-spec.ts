import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser, verifiedUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';

describe('billers, bulk bill loads, bill fetch, linked accounts', () => {
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    biller = await makeBiller(app, admin, { billerCategory: 'WATER', name: '天津水务集团' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists billers, by category', async () => {
    const user = await registerUser(app);
    const water = await app.request('GET', '/v1/billers?category=WATER', { token: user.accessToken });
    expect(water.status).toBe(200);
    expect(water.body).toContainEqual({ id: biller.billerId, name: '天津水务集团', category: 'WATER', allowsPartial: false, allowsAdvance: false });
    expect(water.body.every((b: { category: string }) => b.category === 'WATER')).toBe(true);
    expectError(await app.request('GET', '/v1/billers?category=PIZZA', { token: user.accessToken }), 400, 'VALIDATION_FAILED');
  });

  it('loads bills: valid rows load, bad rows come back by index, (customerRef, period) is upserted', async () => {
    const first = await loadBills(app, biller, [
      bill('W-1', 1000),
      bill('W-2', 2000),
      bill('W-3', 0),
      bill('W-4', 100, { period: '2026-13' }),
      bill('W-2', 2500),
      { ...bill('W-5', 100), extra: true },
      bill('W-6', 100, { currency: 'HKD' }),
    ]);
    expect(first.created).toBe(2);
    expect(first.updated).toBe(0);
    expect(first.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [2, 'VALIDATION_FAILED'],
      [3, 'VALIDATION_FAILED'],
      [4, 'DUPLICATE_IN_UPLOAD'],
      [5, 'VALIDATION_FAILED'],
      [6, 'VALIDATION_FAILED'],
    ]);
    const second = await loadBills(app, biller, [bill('W-1', 1100), bill('W-1', 900, { period: '2026-12' })]);
    expect(second).toEqual({ created: 1, updated: 1, rejected: [] });
    const user = await verifiedUser(app);
    const fetched = await app.request('GET', `/v1/billers/${biller.billerId}/bills?customerRef=W-1`, { token: user.accessToken });
    expect(fetched.body.map((b: { period: string; amount: number }) => [b.period, b.amount])).toEqual([
      ['2026-12', 900],
      ['2026-11', 1100],
    ]);
    expect(fetched.body[0]).toMatchObject({ billerId: biller.billerId, customerRef: 'W-1', paidAmount: 0, outstanding: 900, currency: 'CNY', dueDate: '2026-12-15', status: 'UNPAID', customerNameMasked: '张**' });
  });

  it('never changes a bill that has payments (BILL_HAS_PAYMENTS)', async () => {
    await loadBills(app, biller, [bill('W-PAID', 500)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 500);
    const b = await fetchBill(app, user, biller, 'W-PAID');
    expect((await payBill(app, user, b.id, { method: 'WALLET' })).status).toBe(201);
    const again = await loadBills(app, biller, [bill('W-OTHER', 100), bill('W-PAID', 9999)]);
    expect(again).toEqual({ created: 1, updated: 0, rejected: [{ index: 1, code: 'BILL_HAS_PAYMENTS' }] });
    expect((await fetchBill(app, user, biller, 'W-PAID')).amount).toBe(500);
  });

  it('loads 10,000 bills in one call in under 5 seconds', async () => {
    const bills = Array.from({ length: 10_000 }, (_, i) => bill(`BULK-${i}`, 1000 + i, { customerName: `用户${i}` }));
    const started = Date.now();
    const result = await loadBills(app, biller, bills);
    const ms = Date.now() - started;
    process.stdout.write(`bulk load: 10,000 bills in ${ms} ms\n`);
    expect(result).toEqual({ created: 10_000, updated: 0, rejected: [] });
    expect(ms).toBeLessThan(5000);
    const tooMany = await app.request('POST', `/v1/billers/${biller.billerId}/bills`, {
      token: biller.staff.accessToken,
      body: { bills: [...bills, bill('ONE-MORE', 1)] },
    });
    expectError(tooMany, 400, 'VALIDATION_FAILED');
  });

  it('keeps staff routes to the biller staff (403 for anyone else, even another biller)', async () => {
    const outsider = await verifiedUser(app);
    const other = await makeBiller(app, admin);
    for (const token of [outsider.accessToken, other.staff.accessToken]) {
      expectError(await app.request('POST', `/v1/billers/${biller.billerId}/bills`, { token, body: { bills: [bill('X', 1)] } }), 403, 'FORBIDDEN');
      expectError(await app.request('GET', `/v1/billers/${biller.billerId}/settlements?date=2026-11-21`, { token }), 403, 'FORBIDDEN');
      expectError(await app.request('PUT', `/v1/billers/${biller.billerId}/webhook`, { token, body: { url: 'https://x.example/hook' } }), 403, 'FORBIDDEN');
      expectError(await app.request('GET', `/v1/billers/${biller.billerId}/webhook-deliveries`, { token }), 403, 'FORBIDDEN');
    }
  });

  it('refuses webhook URLs that reach internal addresses (cloud metadata, loopback, private) or carry credentials', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:9/hook', 'http://10.1.2.3/hook', 'http://[::1]/hook', 'https://user:pw@example.com/hook', 'ftp://example.com/x',
      // IPv4 embedded in IPv6: IPv4-compatible, SIIT, 6to4, NAT64, mapped
      'http://[::127.0.0.1]/hook', 'http://[::ffff:0:7f00:1]/hook', 'http://[2002:7f00:1::1]/hook', 'http://[64:ff9b::7f00:1]/hook',
      'http://[64:ff9b::a9fe:a9fe]/hook', 'http://[::a9fe:a9fe]/hook', 'http://[::ffff:169.254.169.254]/hook',
      // a name is judged by what it resolves to
      'http://localhost:9/hook']) {
      const res = await app.request('PUT', `/v1/billers/${biller.billerId}/webhook`, { token: biller.staff.accessToken, body: { url } });
      expect([url, res.status, res.body.code]).toEqual([url, 400, 'VALIDATION_FAILED']);
    }
  });

  it('bill fetch needs real-name level 1 and a customerRef', async () => {
    const unverified = await registerUser(app);
    expectError(await app.request('GET', `/v1/billers/${biller.billerId}/bills?customerRef=W-1`, { token: unverified.accessToken }), 403, 'KYC_REQUIRED');
    const user = await verifiedUser(app);
    expectError(await app.request('GET', `/v1/billers/${biller.billerId}/bills`, { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', `/v1/billers/00000000-0000-4000-8000-000000000000/bills?customerRef=W-1`, { token: user.accessToken }), 404, 'NOT_FOUND');
  });

  it('links accounts and shows their unpaid and partly paid bills', async () => {
    await loadBills(app, biller, [bill('L-1', 300), bill('L-2', 400)]);
    const user = await verifiedUser(app);
    const linked = await app.request('POST', '/v1/me/biller-accounts', { token: user.accessToken, body: { billerId: biller.billerId, customerRef: 'L-1', alias: '家里' } });
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ billerId: biller.billerId, billerName: '天津水务集团', customerRef: 'L-1', alias: '家里', autoPay: null });
    expectError(await app.request('POST', '/v1/me/biller-accounts', { token: user.accessToken, body: { billerId: biller.billerId, customerRef: 'L-1' } }), 409, 'ACCOUNT_ALREADY_LINKED');
    const list = await app.request('GET', '/v1/me/biller-accounts', { token: user.accessToken });
    expect(list.body.map((a: { customerRef: string }) => a.customerRef)).toEqual(['L-1']);
    const mine = await app.request('GET', '/v1/me/bills', { token: user.accessToken });
    expect(mine.body.map((b: { customerRef: string; outstanding: number }) => [b.customerRef, b.outstanding])).toEqual([['L-1', 300]]);
    // once paid, it is no longer listed
    await credit(app, admin, user, 300);
    expect((await payBill(app, user, mine.body[0].id, { method: 'WALLET' })).status).toBe(201);
    expect((await app.request('GET', '/v1/me/bills', { token: user.accessToken })).body).toEqual([]);
    const notBiller = await app.request('POST', '/v1/admin/organizations', { token: admin, body: { name: 'Bus Co', kind: 'TRANSIT_OPERATOR' } });
    // an organisation that is not a biller is no biller: 404 as for a random id (issue 11, defect 3)
    expectError(await app.request('POST', '/v1/me/biller-accounts', { token: user.accessToken, body: { billerId: notBiller.body.id, customerRef: 'L-1' } }), 404, 'NOT_FOUND');
    expectError(await app.request('GET', `/v1/billers/${notBiller.body.id}/bills?customerRef=L-1`, { token: user.accessToken }), 404, 'NOT_FOUND');
    expectError(await app.request('GET', `/v1/billers/${randomUUID()}/bills?customerRef=L-1`, { token: user.accessToken }), 404, 'NOT_FOUND');
  });
});
