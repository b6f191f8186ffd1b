import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { compactVerify, createLocalJWKSet } from 'jose';
import { DataSource } from 'typeorm';
import { generatePaycodeSigner, mintOnlineCode, readVehicleSticker, verifyCode, decodeMpm } from '@app/paycode';
import { RIDE_CODE_KEYS, TripsService, type RideCodeKeys } from '@app/transit';
import { verifyLedger } from '@app/ledger';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest, registerUser } from '../support/factories.js';
import { credit } from '../support/billing.js';
import { balance, idemKey, shanghaiToday } from '../support/payments.js';
import { codeIat, makeOperator, makeRider, newReader, rideCode, tap, upload, type TestOperator } from '../support/transit.js';

describe('transit: ride codes and taps from bus readers', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('issues a ride code of at most 256 characters that any JOSE library verifies with the published JWKS', async () => {
    const rider = await makeRider(app, admin, 0);
    const res = await app.request('POST', '/v1/transit/ride-codes', { token: rider.accessToken });
    expect(res.status).toBe(201);
    expect(res.body.code.length).toBeLessThanOrEqual(256);
    expect(res.body.qrSvg).toContain('<svg');
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(50_000);
    const jwks = await app.request('GET', '/v1/transit/keys');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256', kid: expect.any(String) });
    const { payload, protectedHeader } = await compactVerify(res.body.code, createLocalJWKSet(jwks.body));
    expect(protectedHeader.alg).toBe('ES256');
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims).toMatchObject({ use: 'ride', jti: expect.any(String), sub: expect.any(String) });
    expect(claims.exp - claims.iat).toBe(60);
    expect(claims.sub).not.toContain(rider.phone);
    expect(verifyCode(res.body.code, jwks.body, { now: Date.now(), use: 'ride' })).toMatchObject({ ok: true, sub: claims.sub });
    // real-name first
    const anon = await registerUser(app);
    expectError(await app.request('POST', '/v1/transit/ride-codes', { token: anon.accessToken }), 403, 'KYC_REQUIRED');
  });

  it('charges a FLAT route at boarding; a tapId sent again is DUPLICATE with the first result; a code is single use', async () => {
    const rider = await makeRider(app, admin, 1000);
    const code = await rideCode(app, rider);
    const t = tap(code, op.flat.code, { vehicleId: op.vehicle.id });
    const [first] = await upload(app, op.reader, [t]);
    expect(first).toMatchObject({ tapId: t.tapId, status: 'CHARGED', fare: { amount: 200, currency: 'CNY' }, tripId: expect.any(String) });
    expect(await balance(app, rider)).toBe(800);
    const [again] = await upload(app, op.reader, [t]);
    expect(again).toMatchObject({ tapId: t.tapId, status: 'DUPLICATE', firstStatus: 'CHARGED', tripId: first.tripId, fare: { amount: 200 } });
    const other = await newReader(app, op.operatorId, op.admin);
    const [reuse] = await upload(app, other, [tap(code, op.flat.code)]);
    expect(reuse).toMatchObject({ status: 'REJECTED', reason: 'CODE_ALREADY_USED' });
    expect(await balance(app, rider)).toBe(800);
    const trips = await app.request('GET', '/v1/transit/trips', { token: rider.accessToken });
    expect(trips.body.items).toEqual([expect.objectContaining({ id: first.tripId, routeCode: op.flat.code, status: 'CHARGED', fare: { amount: 200, currency: 'CNY' }, vehicleId: op.vehicle.id })]);
  });

  it('one code on 5 readers at once charges once', async () => {
    const rider = await makeRider(app, admin, 1000);
    const code = await rideCode(app, rider);
    const readers = await Promise.all(Array.from({ length: 5 }, () => newReader(app, op.operatorId, op.admin)));
    const results = (await Promise.all(readers.map((r) => upload(app, r, [tap(code, op.flat.code)])))).map((r) => r[0]);
    expect(results.filter((r) => r.status === 'CHARGED')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'REJECTED' && r.reason === 'CODE_ALREADY_USED')).toHaveLength(4);
    expect(await balance(app, rider)).toBe(800);
  });

  it('the same batch uploaded twice at once is processed once', async () => {
    const riders = await Promise.all(Array.from({ length: 4 }, () => makeRider(app, admin, 1000)));
    const taps = await Promise.all(riders.map(async (r) => tap(await rideCode(app, r), op.flat.code)));
    // two signatures (one timestamp apart: a signature is accepted once), sent at once
    const ts = Date.now();
    const [ra, rb] = await Promise.all([0, 1].map((d) => deviceRequest(app, op.reader, 'POST', '/v1/transit/taps', { taps }, { timestamp: ts + d })));
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const [a, b] = [ra.body.results as any[], rb.body.results as any[]];
    const statuses = [...a, ...b].map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(4).fill('CHARGED'), ...Array(4).fill('DUPLICATE')]);
    for (const r of riders) expect(await balance(app, r)).toBe(800);
  });

  it('a tap after 60 s plus the 30 s grace is CODE_EXPIRED, one just inside is charged; a scan from the future is INVALID_TAP', async () => {
    const rider = await makeRider(app, admin, 1000);
    const late = await rideCode(app, rider);
    const ontime = await rideCode(app, rider);
    const [expired, inside, future] = await upload(app, op.reader, [
      tap(late, op.flat.code, { scannedAt: new Date((codeIat(late) + 91) * 1000).toISOString() }),
      tap(ontime, op.flat.code, { scannedAt: new Date((codeIat(ontime) + 89) * 1000).toISOString() }),
      tap(await rideCode(app, rider), op.flat.code, { scannedAt: new Date(Date.now() + 3_600_000).toISOString() }),
    ]);
    expect(expired).toMatchObject({ status: 'REJECTED', reason: 'CODE_EXPIRED' });
    expect(inside).toMatchObject({ status: 'CHARGED' });
    expect(future).toMatchObject({ status: 'REJECTED', reason: 'INVALID_TAP' });
  });

  it('forged, altered and card codes are INVALID_CODE; one bad tap never fails the batch', async () => {
    const rider = await makeRider(app, admin, 1000);
    const code = await rideCode(app, rider);
    const [h, p, s] = code.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${s}`;
    const forged = mintOnlineCode(generatePaycodeSigner(), { use: 'ride', sub: claims.sub, now: new Date() }).code;
    const keys = app.api.app.get<RideCodeKeys>(RIDE_CODE_KEYS);
    const card = mintOnlineCode(await keys.signer(), { use: 'card', sub: claims.sub.slice(0, 6), aud: 'u', now: new Date() }).code;
    const good = tap(code, op.flat.code);
    const results = await upload(app, op.reader, [
      tap(altered, op.flat.code),
      tap(forged, op.flat.code),
      tap(card, op.flat.code),
      tap('not-a-code', op.flat.code),
      { tapId: 'nope', code, scannedAt: new Date().toISOString(), routeCode: op.flat.code },
      { tapId: randomUUID(), code, scannedAt: 'yesterday', routeCode: op.flat.code },
      tap(code, 'NO-SUCH-ROUTE'),
      // a route code no route can have (routes' codes are 1-32 letters, digits, ".", "-" or "_"): a malformed tap
      tap(code, `${op.flat.code} !`),
      good,
    ]);
    expect(results.slice(0, 4).map((r) => r.reason)).toEqual(['INVALID_CODE', 'INVALID_CODE', 'INVALID_CODE', 'INVALID_CODE']);
    expect(results.slice(4, 6).map((r) => [r.status, r.reason])).toEqual([
      ['REJECTED', 'INVALID_TAP'],
      ['REJECTED', 'INVALID_TAP'],
    ]);
    expect(results[6]).toMatchObject({ status: 'REJECTED', reason: 'UNKNOWN_ROUTE' });
    expect(results[7]).toMatchObject({ status: 'REJECTED', reason: 'INVALID_TAP' });
    expect(results[8]).toMatchObject({ tapId: good.tapId, status: 'CHARGED' });
    expect(await balance(app, rider)).toBe(800);
  });

  it('refuses revoked readers, replayed signatures, other device kinds and bad bodies with a 4xx and a code', async () => {
    const reader = await newReader(app, op.operatorId, op.admin);
    const body = { taps: [tap('x', op.flat.code)] };
    const ts = Date.now();
    const first = await deviceRequest(app, reader, 'POST', '/v1/transit/taps', body, { timestamp: ts });
    expect(first.status).toBe(200);
    const { signDeviceRequest } = await import('@app/identity');
    const sig = signDeviceRequest(reader.secret, 'POST', '/v1/transit/taps', String(ts), JSON.stringify(body));
    expectError(await deviceRequest(app, reader, 'POST', '/v1/transit/taps', body, { timestamp: ts, signature: sig }), 401, 'DEVICE_AUTH_FAILED');
    expect((await app.request('POST', `/v1/organizations/${op.operatorId}/devices/${reader.id}/revoke`, { token: op.admin.accessToken })).status).toBe(204);
    expectError(await deviceRequest(app, reader, 'POST', '/v1/transit/taps', body), 401, 'DEVICE_AUTH_FAILED');
    expectError(await deviceRequest(app, op.reader, 'POST', '/v1/transit/taps', { taps: [] }), 400, 'VALIDATION_FAILED');
    expectError(await deviceRequest(app, op.reader, 'POST', '/v1/transit/taps', { taps: Array(501).fill(tap('x', 'y')) }), 400, 'VALIDATION_FAILED');
    expectError(await deviceRequest(app, op.reader, 'POST', '/v1/transit/taps', { taps: 'all' }), 400, 'VALIDATION_FAILED');
    expectError(await deviceRequest(app, op.reader, 'POST', '/v1/transit/taps', { taps: [], extra: 1 }), 400, 'VALIDATION_FAILED');
    expectError(await deviceRequest(app, op.reader, 'GET', '/v1/transit/blocklist?since=abc'), 400, 'VALIDATION_FAILED');
    expectError(await app.request('POST', '/v1/transit/taps', { body: { taps: [] } }), 401, 'DEVICE_AUTH_FAILED');
    const rider = await makeRider(app, admin, 0);
    expectError(await app.request('POST', '/v1/transit/scan-to-pay', { token: rider.accessToken, headers: { 'idempotency-key': idemKey(), 'content-type': 'application/json' }, raw: '{"vehicleQr":' }), 400, 'MALFORMED_JSON');
  });

  it('DISTANCE: IN then OUT charges by stops; an OUT with no IN is held; an IN with no OUT for 4 h is charged maxAmount, and its tap-out uploaded after that refunds down to the distance fare', async () => {
    const rider = await makeRider(app, admin, 2000);
    const d = op.distance.code;
    const tin = tap(await rideCode(app, rider), d, { direction: 'IN', stopIndex: 2 });
    const [boarded] = await upload(app, op.reader, [tin]);
    expect(boarded).toMatchObject({ status: 'PENDING_TAP_OUT', tripId: expect.any(String) });
    const [orphan] = await upload(app, op.reader, [tap(await rideCode(app, rider), op.flat.code, { direction: 'OUT', stopIndex: 1 })]);
    expect(orphan.status).toBe('CHARGED'); // a FLAT route ignores directions
    const [out] = await upload(app, op.reader, [tap(await rideCode(app, rider), d, { direction: 'OUT', stopIndex: 8 })]);
    // 6 stops: 100 + 50 * (6 - 3)
    expect(out).toMatchObject({ status: 'CHARGED', fare: { amount: 250 }, tripId: boarded.tripId });
    const [none] = await upload(app, op.reader, [tap(await rideCode(app, rider), d, { direction: 'OUT', stopIndex: 8 })]);
    expect(none).toMatchObject({ status: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' });
    const [noStop] = await upload(app, op.reader, [tap(await rideCode(app, rider), d, { direction: 'IN' })]);
    expect(noStop).toMatchObject({ status: 'REJECTED', reason: 'INVALID_TAP' });
    const [open] = await upload(app, op.reader, [tap(await rideCode(app, rider), d, { direction: 'IN', stopIndex: 0 })]);
    expect(open.status).toBe('PENDING_TAP_OUT');
    expect(await balance(app, rider)).toBe(2000 - 200 - 250);
    const trips = app.api.app.get(TripsService);
    // the job at 3 h 59 min changes nothing; with the clock moved past 4 h it charges maxAmount
    await trips.chargeOverdue(new Date(Date.now() + 4 * 3_600_000 - 60_000));
    expect(await balance(app, rider)).toBe(1550);
    expect(await trips.chargeOverdue(new Date(Date.now() + 4 * 3_600_000 + 60_000))).toBeGreaterThanOrEqual(1);
    expect(await balance(app, rider)).toBe(1550 - 400);
    const list = await app.request('GET', '/v1/transit/trips', { token: rider.accessToken });
    expect(list.body.items.find((t: { id: string }) => t.id === open.tripId)).toMatchObject({ status: 'CHARGED', fare: { amount: 400 } });
    // a tap-out scanned within the 4 h (the clock was moved for the job) but uploaded after it: the distance fare, the rest back
    const [late] = await upload(app, op.reader, [tap(await rideCode(app, rider), d, { direction: 'OUT', stopIndex: 4 })]);
    expect(late).toMatchObject({ status: 'CHARGED', fare: { amount: 150 }, tripId: open.tripId });
    expect(await balance(app, rider)).toBe(1550 - 150);
  });

  it('DISTANCE: a tap-out uploaded before its tap-in is held, then closes the trip when the tap-in arrives (the 4-hour job leaves it alone)', async () => {
    const rider = await makeRider(app, admin, 2000);
    const d = op.distance.code;
    const other = await newReader(app, op.operatorId, op.admin);
    const t0 = Date.now() + 1000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    // minted now, scanned within their window; the rear-door reader uploads first
    const inCode = await rideCode(app, rider);
    const outCode = await rideCode(app, rider);
    const tout = tap(outCode, d, { direction: 'OUT', stopIndex: 9, scannedAt: at(40) });
    const [held] = await upload(app, other, [tout]);
    expect(held).toMatchObject({ status: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' });
    expect(held.tripId).toBeUndefined();
    expect(await balance(app, rider)).toBe(2000);
    const trips = app.api.app.get(TripsService);
    // the job does not charge a held tap-out (nothing is boarded yet)
    await trips.chargeOverdue(new Date(Date.now() + 5 * 3_600_000));
    expect(await balance(app, rider)).toBe(2000);
    const [tin] = await upload(app, op.reader, [tap(inCode, d, { direction: 'IN', stopIndex: 1, scannedAt: at(0) })]);
    // 8 stops: min(400, 100 + 50 * (8 - 3)) = 350
    expect(tin).toMatchObject({ status: 'CHARGED', fare: { amount: 350, currency: 'CNY' }, tripId: expect.any(String) });
    expect(await balance(app, rider)).toBe(2000 - 350);
    // the held tap sent again answers the trip it closed
    const [again] = await upload(app, other, [tout]);
    expect(again).toMatchObject({ status: 'DUPLICATE', firstStatus: 'CHARGED', tripId: tin.tripId, fare: { amount: 350 } });
    const trip = (await app.request('GET', '/v1/transit/trips', { token: rider.accessToken })).body.items.find((t: { id: string }) => t.id === tin.tripId);
    expect(trip).toMatchObject({ status: 'CHARGED', boardedAt: at(0), alightedAt: at(40), fare: { amount: 350 } });
    // closed: the job charges nothing more
    await trips.chargeOverdue(new Date(Date.now() + 5 * 3_600_000));
    expect(await balance(app, rider)).toBe(2000 - 350);
    expect((await verifyLedger(app.api.app.get(DataSource))).ok).toBe(true);
  });

  it('a wallet that cannot pay makes the trip UNPAID, the rider blocklisted (deltas) until arrears/pay', async () => {
    const reader = await newReader(app, op.operatorId, op.admin);
    const start = await deviceRequest(app, reader, 'GET', '/v1/transit/blocklist');
    expect(start.status).toBe(200);
    const v0 = start.body.version as number;
    const rider = await makeRider(app, admin, 150);
    const first = await rideCode(app, rider);
    const second = await rideCode(app, rider);
    const sub = JSON.parse(Buffer.from(first.split('.')[1], 'base64url').toString()).sub;
    const [unpaid] = await upload(app, reader, [tap(first, op.flat.code)]);
    expect(unpaid).toMatchObject({ status: 'UNPAID', fare: { amount: 200 } });
    expect(await balance(app, rider)).toBe(150);
    expectError(await app.request('POST', '/v1/transit/ride-codes', { token: rider.accessToken }), 403, 'IN_ARREARS');
    const delta = await deviceRequest(app, reader, 'GET', `/v1/transit/blocklist?since=${v0}`);
    expect(delta.body.version).toBeGreaterThan(v0);
    expect(delta.body.entries).toContainEqual({ sub, blocked: true });
    const full = await deviceRequest(app, reader, 'GET', '/v1/transit/blocklist');
    expect(full.body.entries).toContainEqual({ sub, blocked: true });
    const [blocked] = await upload(app, reader, [tap(second, op.flat.code)]);
    expect(blocked).toMatchObject({ status: 'REJECTED', reason: 'BLOCKED' });
    const trips = await app.request('GET', '/v1/transit/trips', { token: rider.accessToken });
    expect(trips.body.items[0]).toMatchObject({ status: 'UNPAID', fare: { amount: 200 } });
    // what is owed, from the server (the web app's trips page shows it whatever pages it has loaded)
    const owed = await app.request('GET', '/v1/transit/arrears', { token: rider.accessToken });
    expect(owed.status).toBe(200);
    expect(owed.body).toEqual({ inArrears: true, unpaidTrips: 1, total: [{ amount: 200, currency: 'CNY' }] });

    const key = idemKey();
    expectError(await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, headers: { 'idempotency-key': key }, body: {} }), 402, 'INSUFFICIENT_FUNDS');
    await credit(app, admin, rider, 100);
    const paid = await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, headers: { 'idempotency-key': idemKey() }, body: {} });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ paidTrips: 1, total: [{ amount: 200, currency: 'CNY' }], inArrears: false });
    expect(await balance(app, rider)).toBe(50);
    expect((await app.request('GET', '/v1/transit/arrears', { token: rider.accessToken })).body).toEqual({ inArrears: false, unpaidTrips: 0, total: [] });
    expectError(await app.request('GET', '/v1/transit/arrears'), 401, 'UNAUTHENTICATED');
    const after = await deviceRequest(app, reader, 'GET', `/v1/transit/blocklist?since=${delta.body.version}`);
    expect(after.body.entries).toContainEqual({ sub, blocked: false });
    const fullAfter = await deviceRequest(app, reader, 'GET', '/v1/transit/blocklist');
    expect(fullAfter.body.entries).not.toContainEqual({ sub, blocked: true });
    expect((await app.request('POST', '/v1/transit/ride-codes', { token: rider.accessToken })).status).toBe(201);
    expectError(await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, body: {} }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
  });

  it('scan-to-pay at the bus door: sticker is EMVCo MPM with a valid CRC; bad CRC, malformed or foreign payloads are INVALID_QR', async () => {
    const rider = await makeRider(app, admin, 1000);
    const fields = decodeMpm(op.vehicle.staticQr);
    expect(fields.find((f) => f.id === '52')?.value).toBe('4111');
    expect(fields.find((f) => f.id === '53')?.value).toBe('156');
    expect(fields.find((f) => f.id === '58')?.value).toBe('CN');
    expect(readVehicleSticker(op.vehicle.staticQr)?.vehicleId).toBe(op.vehicle.id);
    const key = idemKey();
    const pay = () => app.request('POST', '/v1/transit/scan-to-pay', { token: rider.accessToken, headers: { 'idempotency-key': key }, body: { vehicleQr: op.vehicle.staticQr } });
    const res = await pay();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tripId: expect.any(String), fare: { amount: 200, currency: 'CNY' }, status: 'CHARGED' });
    const replay = await pay();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(res.body);
    expect(await balance(app, rider)).toBe(800);
    const qr = op.vehicle.staticQr;
    const badCrc = qr.slice(0, -4) + (qr.endsWith('0000') ? '1111' : '0000');
    const foreign = '00020101021126230010COM.OTHER0105shop15204541153031565802CN5905Store6007Beijing6304';
    const { crc16CcittFalse } = await import('@app/paycode');
    const foreignQr = foreign + crc16CcittFalse(foreign);
    for (const vehicleQr of [badCrc, 'hello', foreignQr, qr.replace(op.vehicle.id.slice(0, 8), '00000000')]) {
      expectError(
        await app.request('POST', '/v1/transit/scan-to-pay', { token: rider.accessToken, headers: { 'idempotency-key': idemKey() }, body: { vehicleQr } }),
        422,
        'INVALID_QR',
      );
    }
    const poor = await makeRider(app, admin, 100);
    expectError(
      await app.request('POST', '/v1/transit/scan-to-pay', { token: poor.accessToken, headers: { 'idempotency-key': idemKey() }, body: { vehicleQr: qr } }),
      402,
      'INSUFFICIENT_FUNDS',
    );
  });

  it('routes and vehicles: operator staff only, codes and plates unique, fares validated', async () => {
    const token = op.admin.accessToken;
    expectError(await app.request('POST', '/v1/transit/routes', { token, body: { code: op.flat.code, name: 'x', fare: { type: 'FLAT', amount: 100, currency: 'CNY' } } }), 409, 'ROUTE_CODE_TAKEN');
    const bad = await app.request('POST', '/v1/transit/routes', { token, body: { code: 'Z1', name: 'x', fare: { type: 'DISTANCE', baseAmount: 300, baseStops: 2, perStopAmount: -1, maxAmount: 200, currency: 'CNY' } } });
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['fare.maxAmount', 'fare.perStopAmount']);
    expectError(await app.request('POST', '/v1/transit/routes', { token, body: { code: 'Z2', name: 'x', fare: { type: 'FLAT', amount: 1.5, currency: 'CNY' } } }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('POST', '/v1/transit/vehicles', { token, body: { plate: 'P-1', routeCode: 'NOPE' } }), 422, 'UNKNOWN_ROUTE');
    const plate = `津B${Date.now() % 100000}`;
    expect((await app.request('POST', '/v1/transit/vehicles', { token, body: { plate, routeCode: op.distance.code } })).status).toBe(201);
    expectError(await app.request('POST', '/v1/transit/vehicles', { token, body: { plate, routeCode: op.distance.code } }), 409, 'PLATE_TAKEN');
    const stranger = await registerUser(app);
    expectError(await app.request('POST', '/v1/transit/routes', { token: stranger.accessToken, body: { code: 'Z3', name: 'x', fare: { type: 'FLAT', amount: 100, currency: 'CNY' } } }), 403, 'FORBIDDEN');
    expectError(await app.request('GET', `/v1/transit/settlements?date=${shanghaiToday()}`, { token: stranger.accessToken }), 403, 'FORBIDDEN');
    expectError(await app.request('GET', '/v1/transit/settlements?date=tomorrow', { token }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/transit/trips?cursor=zzz', { token }), 400, 'VALIDATION_FAILED');
  });

  it('settlements per route equal the operator revenue postings, and the ledger verifies clean', async () => {
    const res = await app.request('GET', `/v1/transit/settlements?date=${shanghaiToday()}`, { token: op.admin.accessToken });
    expect(res.status).toBe(200);
    const total = res.body.routes.reduce((s: number, r: { total: { amount: number } }) => s + r.total.amount, 0);
    expect(res.body.routes.find((r: { routeCode: string }) => r.routeCode === op.flat.code).count).toBeGreaterThan(5);
    const ds = app.api.app.get(DataSource);
    const [{ sum }] = (await ds.query(
      `SELECT coalesce(sum(p.amount), 0)::text AS sum FROM ledger.postings p JOIN ledger.ledger_accounts a ON a.id = p.account_id
        WHERE a.owner_type = 'ORGANIZATION' AND a.owner_id = $1 AND a.purpose = 'REVENUE'`,
      [op.operatorId],
    )) as { sum: string }[];
    expect(total).toBe(Number(sum));
    const report = await verifyLedger(ds);
    expect(report).toMatchObject({ ok: true, drift: [], negative: [], unbalanced: [] });
  });
});
