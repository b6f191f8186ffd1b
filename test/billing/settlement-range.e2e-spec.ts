import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';
import { shanghaiToday } from '../support/payments.js';

const DAY = 86_400_000;
const shDay = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 10);

/** GET /v1/billers/:id/settlements/daily: the operator console's 30-day chart. */
describe('daily settlements over a range', () => {
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    biller = await makeBiller(app, admin);
  });
  afterAll(async () => {
    await app?.close();
  });

  const range = (from: string, to: string, token = biller.staff.accessToken, id = biller.billerId) =>
    app.request('GET', `/v1/billers/${id}/settlements/daily?from=${from}&to=${to}`, { token });

  it('counts each Asia/Shanghai day once, zero days included, equal to the daily settlement', async () => {
    await loadBills(app, biller, [bill('R-1', 1_500), bill('R-2', 2_500), bill('R-3', 700)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 10_000);
    const ids: string[] = [];
    for (const ref of ['R-1', 'R-2', 'R-3']) {
      const b = await fetchBill(app, user, biller, ref);
      const res = await payBill(app, user, b.id, { method: 'WALLET' });
      expect(res.status).toBe(201);
      ids.push(res.body.payment.id);
    }
    // one payment landed at 23:30 Beijing time two days ago (15:30 UTC): it belongs to that Shanghai day
    const today = shanghaiToday();
    const twoDaysAgo = shDay(Date.parse(`${today}T00:00:00+08:00`) - 2 * DAY);
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE billing.bill_payments SET paid_at = $2 WHERE id = $1`, [ids[2], `${twoDaysAgo}T23:30:00+08:00`]);
    } finally {
      await db.end();
    }

    const from = shDay(Date.parse(`${today}T00:00:00+08:00`) - 29 * DAY);
    const res = await range(from, today);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from, to: today, timeZone: 'Asia/Shanghai', currency: 'CNY' });
    expect(res.body.days).toHaveLength(30);
    expect(res.body.days[0].date).toBe(from);
    expect(res.body.days[29]).toEqual({ date: today, count: 2, total: { amount: 4_000, currency: 'CNY' } });
    expect(res.body.days[27]).toEqual({ date: twoDaysAgo, count: 1, total: { amount: 700, currency: 'CNY' } });
    const others = res.body.days.filter((d: any) => d.date !== today && d.date !== twoDaysAgo);
    expect(others.every((d: any) => d.count === 0 && d.total.amount === 0)).toBe(true);

    for (const date of [today, twoDaysAgo]) {
      const single = await app.request('GET', `/v1/billers/${biller.billerId}/settlements?date=${date}`, { token: biller.staff.accessToken });
      const day = res.body.days.find((d: any) => d.date === date);
      expect([single.body.count, single.body.total.amount]).toEqual([day.count, day.total.amount]);
    }
  });

  it('refuses bad ranges with 400 and other callers like the daily settlement', async () => {
    expectError(await range('2026-11-10', '2026-11-09'), 400, 'VALIDATION_FAILED');
    expectError(await range('2026-01-01', '2026-06-30'), 400, 'VALIDATION_FAILED');
    expectError(await range('2026-02-30', '2026-03-01'), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', `/v1/billers/${biller.billerId}/settlements/daily?from=2026-11-01`, { token: biller.staff.accessToken }), 400, 'VALIDATION_FAILED');
    const one = await range('2026-11-09', '2026-11-09');
    expect(one.status).toBe(200);
    expect(one.body.days).toEqual([{ date: '2026-11-09', count: 0, total: { amount: 0, currency: 'CNY' } }]);

    const stranger = await verifiedUser(app);
    const refused = await range('2026-11-01', '2026-11-30', stranger.accessToken);
    const daily = await app.request('GET', `/v1/billers/${biller.billerId}/settlements?date=2026-11-01`, { token: stranger.accessToken });
    expect(refused.status).toBe(daily.status);
    expect(refused.body.code).toBe(daily.body.code);
    expect([403, 404]).toContain(refused.status);
    expect((await app.request('GET', `/v1/billers/${biller.billerId}/settlements/daily?from=2026-11-01&to=2026-11-02`)).status).toBe(401);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await app.request('GET', '/docs-json');
    const op = doc.body.paths['/v1/billers/{billerId}/settlements/daily']?.get;
    expect(op).toBeDefined();
    expect(op.parameters.map((p: { name: string; in: string; required?: boolean }) => `${p.in}:${p.name}:${p.required === true}`).sort()).toEqual([
      'path:billerId:true',
      'query:from:true',
      'query:to:true',
    ]);
  });
});
