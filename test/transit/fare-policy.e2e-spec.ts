import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyLedger } from '@app/ledger';
import { DataSource } from 'typeorm';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, randomPrcId, registerUser, verifiedUser } from '../support/factories.js';
import { credit } from '../support/billing.js';
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

  it('a senior pays the concession from the 60th birthday (Shanghai date), not the day before', async () => {
    const senior = await makeOperator(app, admin);
    const put = await app.request('PUT', `/v1/transit/operators/${senior.operatorId}/fare-policy`, {
      token: senior.admin.accessToken,
      body: { concessions: { SENIOR: { percentOff: 50 } } },
    });
    expect(put.status).toBe(200);
    // the Shanghai calendar day of now, and the next one, sixty years back
    const shanghaiDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
    const sixtyYearsBefore = (day: string) => `${Number(day.slice(0, 4)) - 60}${day.slice(5, 7)}${day.slice(8, 10)}`;
    const rider = async (birth: string) => {
      const u = await verifiedUser(app, { idNumber: randomPrcId(birth) });
      await credit(app, admin, u, 1000);
      return u;
    };
    const today = await rider(sixtyYearsBefore(shanghaiDay(Date.now())));
    const tomorrow = await rider(sixtyYearsBefore(shanghaiDay(Date.now() + 24 * 3600_000)));
    const at = new Date(Date.now() + 1000).toISOString();
    const [a, b] = await upload(app, senior.reader, [
      tap(await rideCode(app, today), senior.flat.code, { scannedAt: at }),
      tap(await rideCode(app, tomorrow), senior.flat.code, { scannedAt: at }),
    ]);
    expect(a).toMatchObject({ status: 'CHARGED', fare: { amount: 100, currency: 'CNY' } });
    expect(b).toMatchObject({ status: 'CHARGED', fare: { amount: 200, currency: 'CNY' } });
    const [trip] = (await app.request('GET', '/v1/transit/trips', { token: today.accessToken })).body.items;
    expect(trip.fareBreakdown).toEqual({ base: 200, concession: 100, transfer: 0, cap: 0 });
    expect(await balance(app, today)).toBe(900);
    expect(await balance(app, tomorrow)).toBe(800);
    // scan-to-pay prices the same way
    const scan = await app.request('POST', '/v1/transit/scan-to-pay', { token: today.accessToken, headers: { 'Idempotency-Key': `senior-${today.id}` }, body: { vehicleQr: senior.vehicle.staticQr } });
    expect(scan.status).toBe(201);
    expect(scan.body.fare).toEqual({ amount: 100, currency: 'CNY' });
    // the ID number never reaches transit's answers
    expect(JSON.stringify(trip)).not.toMatch(/\d{17}[\dX]/);
  });
});
