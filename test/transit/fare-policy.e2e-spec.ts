import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyLedger } from '@app/ledger';
import { DataSource } from 'typeorm';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser } from '../support/factories.js';
import { balance } from '../support/payments.js';
import { makeOperator, makeRider, rideCode, tap, upload, type TestOperator } from '../support/transit.js';

describe('transit: fare policy (transfer, daily cap) applied to taps', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;
  const second = 'T2';

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
    const r = await app.request('POST', '/v1/transit/routes', { token: op.admin.accessToken, body: { code: second, name: 'Second', fare: { type: 'FLAT', amount: 300, currency: 'CNY' } } });
    expect(r.status).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('PUT and GET the policy: its ORG_ADMIN only, validated', async () => {
    const path = `/v1/transit/operators/${op.operatorId}/fare-policy`;
    expect((await app.request('GET', path, { token: op.admin.accessToken })).body).toEqual({ effectiveFrom: null });
    const bad = await app.request('PUT', path, { token: op.admin.accessToken, body: { transfer: { windowMinutes: 0, discount: { amount: 100, currency: 'HKD' } } } });
    expectError(bad, 400, 'VALIDATION_FAILED');
    expectError(await app.request('PUT', path, { token: op.admin.accessToken, body: { surprise: 1 } }), 400, 'VALIDATION_FAILED');
    const stranger = await registerUser(app);
    expectError(await app.request('PUT', path, { token: stranger.accessToken, body: {} }), 403, 'FORBIDDEN');
    const policy = { transfer: { windowMinutes: 30, discount: { amount: 100, currency: 'CNY' } }, dailyCap: { amount: 500, currency: 'CNY' } };
    const put = await app.request('PUT', path, { token: op.admin.accessToken, body: policy });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ ...policy, effectiveFrom: expect.any(String) });
    expect((await app.request('GET', path, { token: op.admin.accessToken })).body).toMatchObject(policy);
  });

  it('a transfer to another route is discounted; the trip that crosses the daily cap pays the remainder, later ones 0', async () => {
    const rider = await makeRider(app, admin, 5000);
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    // one batch, boarding times a second apart (the order within a batch is the boarding order)
    const results = await upload(app, op.reader, [
      tap(await rideCode(app, rider), op.flat.code, { scannedAt: at(0) }),
      tap(await rideCode(app, rider), second, { scannedAt: at(1) }),
      tap(await rideCode(app, rider), op.flat.code, { scannedAt: at(2) }),
    ]);
    expect(results.map((r) => r.fare.amount)).toEqual([200, 200, 100]);
    const [fourth] = await upload(app, op.reader, [tap(await rideCode(app, rider), second, { scannedAt: at(3) })]);
    expect(fourth).toMatchObject({ status: 'CHARGED', fare: { amount: 0 } });
    expect(await balance(app, rider)).toBe(5000 - 500);
    const trips = (await app.request('GET', '/v1/transit/trips', { token: rider.accessToken })).body.items;
    expect(trips.map((t: { fareBreakdown: unknown }) => t.fareBreakdown)).toEqual([
      { base: 300, concession: 0, transfer: 100, cap: 200 },
      { base: 200, concession: 0, transfer: 100, cap: 0 },
      { base: 300, concession: 0, transfer: 100, cap: 0 },
      { base: 200, concession: 0, transfer: 0, cap: 0 },
    ]);
    expect((await verifyLedger(app.api.app.get(DataSource))).ok).toBe(true);
  });
});
