import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { buildOnce, childEnv } from '../support/process.js';

function seed(databaseUrl: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/apps/api/src/seed-demo.js'], { env: childEnv({ DATABASE_URL: databaseUrl, ...TEST_SECRETS }), timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('npm run seed:demo', () => {
  let databaseUrl: string;
  let app: TestApp | undefined;

  beforeAll(async () => {
    buildOnce();
    databaseUrl = (await freshDatabase()).url;
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  it('creates the five Tianjin billers with bills and a demo citizen who can pay at once; running it again changes nothing', async () => {
    const first = await seed(databaseUrl);
    expect([first.code, first.out]).toEqual([0, expect.stringContaining('City Pay demo data ready.')]);
    expect(first.out).toContain('20 new, 0 updated bills');
    const second = await seed(databaseUrl);
    expect([second.code, second.out]).toEqual([0, expect.stringContaining('0 new, 20 updated bills')]);

    app = await startApp({}, { databaseUrl });
    const login = await app.request('POST', '/v1/auth/login', { body: { phone: '+8613800138000', password: 'demo-citizen-password' } });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    const billers = await app.request('GET', '/v1/billers', { token });
    expect(billers.body.map((b: { category: string }) => b.category).sort()).toEqual(['CABLE_TV', 'ELECTRICITY', 'GAS', 'HEATING', 'WATER']);
    const bills = await app.request('GET', '/v1/me/bills', { token });
    expect(bills.body.map((b: { customerRef: string }) => b.customerRef).sort()).toEqual(['TJE000001', 'TJW000001']);
    const wallet = await app.request('GET', '/v1/wallet', { token });
    expect(wallet.body.balances[0]).toEqual({ amount: 50_000, currency: 'CNY' });
    const paid = await app.request('POST', `/v1/bills/${bills.body[0].id}/payments`, { token, headers: { 'idempotency-key': 'demo-1' }, body: { method: 'WALLET' } });
    expect(paid.status).toBe(201);
    expect(paid.body.payment.receiptNo).toMatch(/^BP/);

    // transit: the Binhai operator's two routes, three vehicles with stickers, a reader each run
    expect(first.out).toContain('Transit operator');
    const reader = /device id ([0-9a-f-]{36}), secret ([0-9a-f]{64})/.exec(second.out);
    expect(reader).not.toBeNull();
    const staff = await app.request('POST', '/v1/auth/login', { body: { phone: '+8613900000100', password: 'demo-operator-password' } });
    const routes = await app.request('GET', '/v1/transit/routes', { token: staff.body.accessToken });
    expect(routes.body.map((r: { code: string; fare: { type: string } }) => `${r.code} ${r.fare.type}`)).toEqual(['BH1 FLAT', 'BH2 DISTANCE']);
    const vehicles = await app.request('GET', '/v1/transit/vehicles', { token: staff.body.accessToken });
    expect(vehicles.body).toHaveLength(3);
    const ride = await app.request('POST', '/v1/transit/scan-to-pay', { token, headers: { 'idempotency-key': 'demo-ride' }, body: { vehicleQr: vehicles.body[0].staticQr } });
    expect(ride.status).toBe(201);
  }, 240_000);
});
