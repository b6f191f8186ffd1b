import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest, type TestUser } from '../support/factories.js';
import { credit } from '../support/billing.js';
import { idemKey } from '../support/payments.js';
import { makeOperator, makeRider, rideCode, tap, upload, type TestOperator } from '../support/transit.js';

describe('transit: notifications (RIDE_CHARGED, TRIP_UNPAID, ARREARS_CLEARED) in the transaction of the event', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;

  const notes = async (user: TestUser): Promise<{ type: string; data: Record<string, any> }[]> => {
    const res = await app.request('GET', '/v1/me/notifications?limit=200', { token: user.accessToken });
    expect(res.status).toBe(200);
    return res.body.items;
  };

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a charged tap notifies once (not again for the batch sent twice), a refused tap not at all, an unpaid trip TRIP_UNPAID, arrears paid ARREARS_CLEARED once', async () => {
    const rider = await makeRider(app, admin, 300);
    const code = await rideCode(app, rider);
    const batch = [tap(code, op.flat.code)];
    const [first] = await upload(app, op.reader, batch);
    expect(first.status).toBe('CHARGED');
    // the same batch twice at once, each request signed at its own millisecond (one signature twice is a replay)
    const at = Date.now();
    const twice = await Promise.all([at, at + 1].map((timestamp) => deviceRequest(app, op.reader, 'POST', '/v1/transit/taps', { taps: batch }, { timestamp })));
    expect(twice.map((r) => r.status)).toEqual([200, 200]);
    // the same code again on a new tap: refused, no notification
    const [refused] = await upload(app, op.reader, [tap(code, op.flat.code)]);
    expect(refused).toMatchObject({ status: 'REJECTED', reason: 'CODE_ALREADY_USED' });
    let list = await notes(rider);
    expect(list.filter((n) => n.type === 'RIDE_CHARGED')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ tripId: first.tripId, fare: { amount: 200, currency: 'CNY' }, routeName: 'Flat route' }) }),
    ]);

    const [unpaid] = await upload(app, op.reader, [tap(await rideCode(app, rider), op.flat.code)]);
    expect(unpaid.status).toBe('UNPAID');
    list = await notes(rider);
    expect(list.filter((n) => n.type === 'TRIP_UNPAID').map((n) => n.data.tripId)).toEqual([unpaid.tripId]);

    await credit(app, admin, rider, 500);
    const key = idemKey();
    const pay = await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, headers: { 'idempotency-key': key }, body: {} });
    expect(pay.status).toBe(201);
    const replay = await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, headers: { 'idempotency-key': key }, body: {} });
    expect(replay.status).toBe(201);
    const again = await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, headers: { 'idempotency-key': idemKey() }, body: {} });
    expect(again.status).toBe(201);
    list = await notes(rider);
    expect(list.filter((n) => n.type === 'ARREARS_CLEARED')).toEqual([expect.objectContaining({ data: expect.objectContaining({ amount: { amount: 200, currency: 'CNY' } }) })]);
    expect(list.filter((n) => n.type === 'RIDE_CHARGED')).toHaveLength(1);
  });

  it('a scan-to-pay refused for funds (rolled back) notifies nothing; a paid one RIDE_CHARGED once, replays included', async () => {
    const rider = await makeRider(app, admin, 100);
    expectError(
      await app.request('POST', '/v1/transit/scan-to-pay', { token: rider.accessToken, headers: { 'idempotency-key': idemKey() }, body: { vehicleQr: op.vehicle.staticQr } }),
      402,
      'INSUFFICIENT_FUNDS',
    );
    expect(await notes(rider)).toEqual([]);
    await credit(app, admin, rider, 200);
    const key = idemKey();
    const send = () => app.request('POST', '/v1/transit/scan-to-pay', { token: rider.accessToken, headers: { 'idempotency-key': key }, body: { vehicleQr: op.vehicle.staticQr } });
    const paid = await send();
    expect(paid.status).toBe(201);
    expect((await send()).status).toBe(201);
    const list = await notes(rider);
    expect(list.map((n) => [n.type, n.data.tripId])).toEqual([['RIDE_CHARGED', paid.body.tripId]]);
  });
});
