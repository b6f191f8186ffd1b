import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { buildOnce, childEnv } from '../support/process.js';
import { deviceRequest, verifiedUser } from '../support/factories.js';

function seed(databaseUrl: string, extra: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/apps/api/src/seed-demo.js'], { env: childEnv({ DATABASE_URL: databaseUrl, ...TEST_SECRETS, ...extra }), timeout: 120_000 }, (err, stdout, stderr) =>
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
    // the build alone can take over a minute on a shared machine
  }, 300_000);
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

    // the campus card demo: a funded student card with a subsidy, a canteen and a shop with a POS each
    expect(first.out).toContain('天津商业大学 Tianjin University of Commerce');
    expect(second.out).toContain('secret shown when it was made');
    const cards = await app.request('GET', '/v1/campus/cards', { token });
    expect(cards.body).toEqual([expect.objectContaining({ memberNo: '2024010001', status: 'ACTIVE', balance: 15_000, subsidyBalance: 5_000 })]);
    const pos = /POS ([0-9a-f-]{36}) secret (\S+)/.exec(first.out)!;
    const code = await app.request('POST', `/v1/campus/cards/${cards.body[0].id}/codes`, { token });
    const lunch = await deviceRequest(app, { id: pos[1], secret: pos[2] }, 'POST', '/v1/campus/charges', { code: code.body.code, amount: 1_250 }, { headers: { 'idempotency-key': 'demo-lunch' } });
    expect(lunch.status).toBe(201);
    expect(lunch.body.cardBalanceAfter).toBe(13_750);

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
  });

  it('stops with a clear sentence, claiming nothing, when the sample ID number is bound to someone else', async () => {
    const other = (await freshDatabase()).url;
    const squatter = await startApp({}, { databaseUrl: other });
    try {
      // someone else holds the demo citizen's sample number
      await verifiedUser(squatter, { idNumber: '11010519491231002X' });
    } finally {
      await squatter.close();
    }
    // the seed runs with the same ID hashing key as the server that bound the number
    const run = await seed(other, { ID_NUMBER_HASH_KEY: TEST_SECRETS.ID_NUMBER_HASH_KEY });
    expect(run.code).toBe(1);
    expect(run.out).not.toContain('demo data ready');
    expect(run.out).not.toContain('(real-name verified,');
    expect(run.out).toContain('ID_ALREADY_BOUND');
    expect(run.out).toMatch(/sample ID number 11010519491231002X is already bound to another account/);
  });
});

