import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { mintOnlineCode } from '@app/paycode';
import { RIDE_CODE_KEYS, TapsService, TripsService, type RideCodeKeys } from '@app/transit';
import { verifyLedger } from '@app/ledger';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken } from '../support/factories.js';
import { credit } from '../support/billing.js';
import { balance, idemKey, shanghaiToday } from '../support/payments.js';
import { makeOperator, makeRider, rideCode, tap, upload, type TestOperator } from '../support/transit.js';
import type { TestUser } from '../support/factories.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * DISTANCE tap-outs that arrive late (api.md tap rules: an IN with no OUT
 * within 4 hours is charged maxAmount): a tap-out scanned within 4 h of its
 * tap-in but uploaded after the job charged maxAmount closes the trip at the
 * distance fare and gives the difference back; held tap-outs never matched
 * are dropped by their job.
 */
describe('transit: late and held tap-outs', () => {
  let app: TestApp;
  let admin: string;
  let op: TestOperator;
  let keys: RideCodeKeys;
  let trips: TripsService;
  let taps: TapsService;
  let ds: DataSource;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    op = await makeOperator(app, admin);
    keys = app.api.app.get<RideCodeKeys>(RIDE_CODE_KEYS);
    trips = app.api.app.get(TripsService);
    taps = app.api.app.get(TapsService);
    ds = app.api.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** The rider's `sub` (from a code the server issued), to mint codes as if scanned at another time (an offline reader's queue). */
  const subOf = async (rider: TestUser) => JSON.parse(Buffer.from((await rideCode(app, rider)).split('.')[1], 'base64url').toString()).sub as string;
  const scannedAt = async (sub: string, at: Date, routeCode: string, extra: Record<string, unknown>) =>
    tap(mintOnlineCode(await keys.signer(), { use: 'ride', sub, now: at }).code, routeCode, { scannedAt: at.toISOString(), ...extra });
  const refunds = async (tripId: string) =>
    ((await ds.query(`SELECT count(*)::int AS n FROM ledger.journal_entries WHERE reference = $1`, [`transit-trip-refund:${tripId}`])) as { n: number }[])[0].n;

  it('a tap-out scanned within 4 h, uploaded after the job charged maxAmount, charges the distance fare: the difference goes back, once', async () => {
    const rider = await makeRider(app, admin, 2000);
    const sub = await subOf(rider);
    const d = op.distance.code;
    const t0 = new Date(Date.now() - 4 * HOUR - 30 * MIN);
    const [boarded] = await upload(app, op.reader, [await scannedAt(sub, t0, d, { direction: 'IN', stopIndex: 0 })]);
    expect(boarded).toMatchObject({ status: 'PENDING_TAP_OUT', tripId: expect.any(String) });
    expect(await trips.chargeOverdue(new Date())).toBeGreaterThanOrEqual(1);
    expect(await balance(app, rider)).toBe(2000 - 400);

    // the rear-door reader was offline: its tap-out, 30 min after boarding, 5 stops: 100 + 50 * (5 - 3) = 200
    const out = await scannedAt(sub, new Date(t0.getTime() + 30 * MIN), d, { direction: 'OUT', stopIndex: 5 });
    const [closed] = await upload(app, op.reader, [out]);
    expect(closed).toMatchObject({ status: 'CHARGED', fare: { amount: 200, currency: 'CNY' }, tripId: boarded.tripId });
    expect(await balance(app, rider)).toBe(2000 - 200);
    const trip = (await app.request('GET', '/v1/transit/trips', { token: rider.accessToken })).body.items.find((t: { id: string }) => t.id === boarded.tripId);
    expect(trip).toMatchObject({ status: 'CHARGED', fare: { amount: 200 }, alightedAt: new Date(t0.getTime() + 30 * MIN).toISOString() });

    // sent again: the first answer, nothing moves
    const [again] = await upload(app, op.reader, [out]);
    expect(again).toMatchObject({ status: 'DUPLICATE', firstStatus: 'CHARGED', tripId: boarded.tripId, fare: { amount: 200 } });
    // another tap-out for the same ride closes nothing more: it waits for a tap-in of its own
    const [second] = await upload(app, op.reader, [await scannedAt(sub, new Date(t0.getTime() + 40 * MIN), d, { direction: 'OUT', stopIndex: 7 })]);
    expect(second).toMatchObject({ status: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' });
    expect(await balance(app, rider)).toBe(1800);
    expect(await refunds(boarded.tripId)).toBe(1);

    // settlement of the day = the operator's revenue postings
    const settlement = await app.request('GET', `/v1/transit/settlements?date=${shanghaiToday()}`, { token: op.admin.accessToken });
    const route = settlement.body.routes.find((r: { routeCode: string }) => r.routeCode === d);
    const [{ revenue }] = (await ds.query(
      `SELECT sum(p.amount)::int AS revenue FROM ledger.postings p JOIN ledger.ledger_accounts a ON a.id = p.account_id
        WHERE a.owner_type = 'ORGANIZATION' AND a.owner_id = $1 AND a.purpose = 'REVENUE'`,
      [op.operatorId],
    )) as { revenue: number }[];
    expect(route.total.amount).toBe(revenue);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('a tap-out scanned more than 4 h after boarding does not reopen the maxAmount charge', async () => {
    const rider = await makeRider(app, admin, 1000);
    const sub = await subOf(rider);
    const d = op.distance.code;
    const t0 = new Date(Date.now() - 5 * HOUR);
    const [boarded] = await upload(app, op.reader, [await scannedAt(sub, t0, d, { direction: 'IN', stopIndex: 0 })]);
    await trips.chargeOverdue(new Date());
    expect(await balance(app, rider)).toBe(600);
    const [late] = await upload(app, op.reader, [await scannedAt(sub, new Date(t0.getTime() + 4 * HOUR + MIN), d, { direction: 'OUT', stopIndex: 5 })]);
    expect(late).toMatchObject({ status: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' });
    expect(await balance(app, rider)).toBe(600);
    expect(await refunds(boarded.tripId)).toBe(0);
  });

  it('an UNPAID maxAmount trip closed by a late tap-out owes the distance fare only', async () => {
    const rider = await makeRider(app, admin, 100);
    const sub = await subOf(rider);
    const d = op.distance.code;
    const t0 = new Date(Date.now() - 4 * HOUR - 20 * MIN);
    const [boarded] = await upload(app, op.reader, [await scannedAt(sub, t0, d, { direction: 'IN', stopIndex: 0 })]);
    await trips.chargeOverdue(new Date());
    const [closed] = await upload(app, op.reader, [await scannedAt(sub, new Date(t0.getTime() + 10 * MIN), d, { direction: 'OUT', stopIndex: 4 })]);
    // 4 stops: 100 + 50 = 150, still owed
    expect(closed).toMatchObject({ status: 'UNPAID', fare: { amount: 150 }, tripId: boarded.tripId });
    expect(await balance(app, rider)).toBe(100);
    await credit(app, admin, rider, 100);
    const paid = await app.request('POST', '/v1/transit/arrears/pay', { token: rider.accessToken, headers: { 'idempotency-key': idemKey() }, body: {} });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ paidTrips: 1, total: [{ amount: 150, currency: 'CNY' }], inArrears: false });
    expect(await balance(app, rider)).toBe(200 - 150);
    expect(await refunds(boarded.tripId)).toBe(0);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('drops held tap-outs never matched after 24 h (REJECTED NO_TAP_IN, nothing charged) and held tap-outs already matched', async () => {
    const rider = await makeRider(app, admin, 1000);
    const sub = await subOf(rider);
    const d = op.distance.code;
    const now = new Date();
    const orphan = await scannedAt(sub, now, d, { direction: 'OUT', stopIndex: 6 });
    const [held] = await upload(app, op.reader, [orphan]);
    expect(held).toMatchObject({ status: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' });
    // a held tap-out matched by its tap-in
    const matchedOut = await scannedAt(sub, new Date(now.getTime() - 2 * HOUR), d, { direction: 'OUT', stopIndex: 4 });
    await upload(app, op.reader, [matchedOut]);
    const [tin] = await upload(app, op.reader, [await scannedAt(sub, new Date(now.getTime() - 3 * HOUR), d, { direction: 'IN', stopIndex: 0 })]);
    expect(tin).toMatchObject({ status: 'CHARGED', fare: { amount: 150 } });
    const heldRows = async () =>
      ((await ds.query(`SELECT tap_id FROM transit.held_tap_outs WHERE tap_id = ANY($1::uuid[])`, [[orphan.tapId, matchedOut.tapId]])) as { tap_id: string }[]).map((r) => r.tap_id);
    expect((await heldRows()).sort()).toEqual([orphan.tapId, matchedOut.tapId].sort());

    // within 24 h of its scan the orphan stays held; the matched one goes
    await taps.expireHeldTapOuts(new Date(now.getTime() + 23 * HOUR));
    expect(await heldRows()).toEqual([orphan.tapId]);
    expect((await upload(app, op.reader, [orphan]))[0]).toMatchObject({ status: 'DUPLICATE', firstStatus: 'PENDING_TAP_OUT', reason: 'AWAITING_TAP_IN' });
    expect(await taps.expireHeldTapOuts(new Date(now.getTime() + 24 * HOUR + MIN))).toBeGreaterThanOrEqual(1);
    expect(await heldRows()).toEqual([]);
    expect((await upload(app, op.reader, [orphan]))[0]).toMatchObject({ status: 'DUPLICATE', firstStatus: 'REJECTED', reason: 'NO_TAP_IN' });
    // a tap-in arriving after that is an ordinary open tap-in (the job charges it maxAmount at 4 h)
    const [lateIn] = await upload(app, op.reader, [await scannedAt(sub, new Date(now.getTime() - 10 * MIN), d, { direction: 'IN', stopIndex: 1 })]);
    expect(lateIn).toMatchObject({ status: 'PENDING_TAP_OUT' });
    expect(await balance(app, rider)).toBe(1000 - 150);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });
});
