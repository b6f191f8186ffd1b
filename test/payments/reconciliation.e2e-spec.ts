import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { DataSource } from 'typeorm';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { pay, shanghaiToday, topUp } from '../support/payments.js';
import { buildOnce, childEnv } from '../support/process.js';

describe('reconciliation with the providers settlement files', () => {
  let app: TestApp;
  let admin: string;
  const date = shanghaiToday();

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000' });
    admin = await adminToken(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const run = () => app.request('POST', '/v1/admin/reconciliation/runs', { token: admin, body: { date } });

  it('finds a deliberately missing and a deliberately altered settlement row, and a trade the platform never recorded', async () => {
    const user = await verifiedUser(app);
    const orders = [];
    for (const provider of ['ALIPAY', 'ALIPAY', 'UNIONPAY', 'ALIPAY_HK'] as const) {
      const o = await topUp(app, user, provider, 1000);
      await pay(app, provider, o.checkout.providerTradeId);
      orders.push(o);
    }
    const clean = await run();
    expect(clean.status).toBe(201);
    expect(clean.body.mismatches).toEqual([]);
    expect(clean.body.runs.map((r: { provider: string; mismatches: number; error: null }) => [r.provider, r.mismatches, r.error])).toEqual([
      ['ALIPAY', 0, null],
      ['ALIPAY_HK', 0, null],
      ['UNIONPAY', 0, null],
      ['WECHAT_PAY', 0, null],
    ]);

    const db = app.api.app.get(DataSource);
    const [missing, altered] = orders.map((o) => o.id.replace(/-/g, ''));
    // the provider's file lacks one payment (it settled it on another day), states another with another amount,
    // and holds a trade of ours the platform has no order for
    await db.query(`UPDATE sandbox.sandbox_trades SET paid_at = paid_at - interval '3 days' WHERE out_trade_no = $1`, [missing]);
    await db.query(`UPDATE sandbox.sandbox_trades SET amount = amount + 5 WHERE out_trade_no = $1`, [altered]);
    await db.query(
      `INSERT INTO sandbox.sandbox_trades (provider, out_trade_no, trade_no, merchant_id, amount, currency, notify_url, status, expires_at, paid_at)
       SELECT provider, 'ffffffffffffffffffffffffffffffff', '2026000000000000000000000001', merchant_id, 300, 'HKD', notify_url, 'PAID', now() + interval '1 hour', now()
         FROM sandbox.sandbox_trades WHERE provider = 'ALIPAY_HK' LIMIT 1`,
    );
    const found = await run();
    expect(found.status).toBe(201);
    expect(
      found.body.mismatches.map((m: { kind: string; provider: string; outTradeNo: string; platformAmount: number; providerAmount: number }) => [
        m.kind,
        m.provider,
        m.outTradeNo,
        m.platformAmount,
        m.providerAmount,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['MISSING_AT_PROVIDER', 'ALIPAY', missing, 1000, null],
        ['AMOUNT_MISMATCH', 'ALIPAY', altered, 1000, 1005],
        ['MISSING_AT_PLATFORM', 'ALIPAY_HK', 'ffffffffffffffffffffffffffffffff', null, 300],
      ]),
    );
    expect(found.body.mismatches).toHaveLength(3);

    // stored: the admin reads them back for that day
    const stored = await app.request('GET', `/v1/admin/reconciliation?date=${date}`, { token: admin });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ date, timeZone: 'Asia/Shanghai' });
    expect(stored.body.mismatches).toEqual(found.body.mismatches);
  });

  it('npm run reconcile -- --date prints the same findings and exits 1', async () => {
    buildOnce();
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      execFile(
        process.execPath,
        ['dist/apps/api/src/reconcile.js', '--date', date],
        { env: childEnv({ DATABASE_URL: app.databaseUrl, PUBLIC_BASE_URL: app.baseUrl, LOG_LEVEL: 'warn' }), timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
      );
    });
    expect(out.text).toContain(`reconciliation of ${date}`);
    expect(out.text).toContain('MISSING_AT_PROVIDER ALIPAY PAYMENT');
    expect(out.text).toContain('AMOUNT_MISMATCH ALIPAY PAYMENT');
    expect(out.code).toBe(1);
  });

  it('is for platform administrators only, and wants a calendar day', async () => {
    const user = await verifiedUser(app);
    expectError(await app.request('GET', `/v1/admin/reconciliation?date=${date}`, { token: user.accessToken }), 403, 'FORBIDDEN');
    expectError(await app.request('GET', '/v1/admin/reconciliation?date=2026-02-30', { token: admin }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/admin/reconciliation', { token: admin }), 400, 'VALIDATION_FAILED');
  });
});
