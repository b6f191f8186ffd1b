import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { verifyLedger } from '@app/ledger';
import { mintOnlineCode } from '@app/paycode';
import { RIDE_CODE_KEYS, type RideCodeKeys } from '@app/transit';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, type TestUser } from '../support/factories.js';
import { balance } from '../support/payments.js';
import { makeOperator, makeRider, rideCode, tap, upload, type TestOperator } from '../support/transit.js';

/**
 * Fare products through the tap upload, with codes minted at chosen instants
 * (as an offline reader would scan them and upload them later), all after the
 * policy took effect: transfers at the edge of their window, a daily cap
 * crossed by one trip, and taps uploaded late and out of order under a cap.
 */
describe('transit: transfer windows and daily caps with late, out-of-order uploads', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const operatorWith = async (policy: Record<string, unknown>): Promise<TestOperator & { second: string }> => {
    const op = await makeOperator(app, admin);
    const second = `S${op.flat.code}`;
    const r = await app.request('POST', '/v1/transit/routes', { token: op.admin.accessToken, body: { code: second, name: 'Second', fare: { type: 'FLAT', amount: 300, currency: 'CNY' } } });
    expect(r.status).toBe(201);
    const put = await app.request('PUT', `/v1/transit/operators/${op.operatorId}/fare-policy`, { token: op.admin.accessToken, body: policy });
    expect(put.status).toBe(200);
    return { ...op, second };
  };
  /** A code of this rider minted at `at` (ms), scanned then. */
  const codeAt = async (rider: TestUser, at: number): Promise<string> => {
    const sub = JSON.parse(Buffer.from((await rideCode(app, rider)).split('.')[1], 'base64url').toString()).sub as string;
    const keys = app.api.app.get<RideCodeKeys>(RIDE_CODE_KEYS);
    return mintOnlineCode(await keys.signer(), { use: 'ride', sub, now: new Date(at) }).code;
  };
  const tapAt = async (rider: TestUser, route: string, at: number) => tap(await codeAt(rider, at), route, { scannedAt: new Date(at).toISOString() });

  it('a transfer exactly windowMinutes after the previous boarding is discounted; one millisecond later is not', async () => {
    const op = await operatorWith({ transfer: { windowMinutes: 1, discount: { amount: 100, currency: 'CNY' } } });
    const t0 = Date.now() + 5_000;
    const inside = await makeRider(app, admin, 1000);
    const outside = await makeRider(app, admin, 1000);
    const a = await upload(app, op.reader, [await tapAt(inside, op.flat.code, t0), await tapAt(inside, op.second, t0 + 60_000)]);
    const b = await upload(app, op.reader, [await tapAt(outside, op.flat.code, t0), await tapAt(outside, op.second, t0 + 60_001)]);
    expect(a.map((r) => r.fare.amount)).toEqual([200, 200]);
    expect(b.map((r) => r.fare.amount)).toEqual([200, 300]);
    expect(await balance(app, inside)).toBe(600);
    expect(await balance(app, outside)).toBe(500);
  });

  it('the trip that crosses the daily cap pays the remainder, later ones 0, also when taps arrive late and out of order', async () => {
    const op = await operatorWith({ dailyCap: { amount: 500, currency: 'CNY' } });
    const t0 = Date.now() + 5_000;
    const rider = await makeRider(app, admin, 2000);
    // a reader online uploads the 3rd and 4th boardings of the day first
    const online = await upload(app, op.reader, [await tapAt(rider, op.flat.code, t0 + 30_000), await tapAt(rider, op.flat.code, t0 + 40_000)]);
    expect(online.map((r) => r.fare.amount)).toEqual([200, 200]);
    // an offline reader then uploads the 1st and 2nd boardings (scanned earlier), in reverse order: the cap holds
    const late = await upload(app, op.reader, [await tapAt(rider, op.second, t0 + 10_000), await tapAt(rider, op.flat.code, t0)]);
    expect(late.map((r) => r.status)).toEqual(['CHARGED', 'CHARGED']);
    const paid = [...online, ...late].reduce((s, r) => s + r.fare.amount, 0);
    expect(paid).toBe(500);
    // the first of the late batch by boarding time crosses the cap: 100 of its 200, the other 0
    expect(late.map((r) => r.fare.amount)).toEqual([0, 100]);
    // and one more boarding is free
    const [after] = await upload(app, op.reader, [await tapAt(rider, op.second, t0 + 50_000)]);
    expect(after.fare.amount).toBe(0);
    expect(await balance(app, rider)).toBe(1500);
    const trips = (await app.request('GET', '/v1/transit/trips', { token: rider.accessToken })).body.items as { fare: { amount: number }; fareBreakdown: { base: number; cap: number } }[];
    expect(trips).toHaveLength(5);
    for (const t of trips) expect(t.fare.amount).toBe(t.fareBreakdown.base - t.fareBreakdown.cap);
    expect((await verifyLedger(app.api.app.get(DataSource))).ok).toBe(true);
  });
});
