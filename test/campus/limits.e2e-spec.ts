import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CampusCodeKeys } from '@app/campus';
import { verifyLedger } from '@app/ledger';
import { mintOnlineCode } from '@app/paycode';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest } from '../support/factories.js';
import { idemKey } from '../support/payments.js';
import { cardCode, cardView, charge, claimsOf, makeMerchant, makeUniversity, studentWithCard } from '../support/campus.js';
import type { TestCard, TestMerchant, TestUniversity } from '../support/campus.js';

/** The card's limits: the daily room a refund gives back, and offlineLimit (the ledger floor of offline charges). */
describe('campus card limits: daily room after refunds, offlineLimit and its ledger floor', () => {
  let app: TestApp;
  let admin: string;
  let uni: TestUniversity;
  let canteen: TestMerchant;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000' });
    admin = await adminToken(app);
    uni = await makeUniversity(app, admin);
    canteen = await makeMerchant(app, admin, uni);
  });
  afterAll(async () => {
    await app?.close();
  });

  const patch = (card: TestCard, body: Record<string, unknown>, token = card.owner.accessToken) => app.request('PATCH', `/v1/campus/cards/${card.id}`, { token, body });
  const refund = (chargeId: string, amount: number) =>
    app.request('POST', `/v1/campus/charges/${chargeId}/refunds`, { token: canteen.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount } });
  const offline = async (card: TestCard, amount: number, at = Date.now()) => {
    const { sub, aud } = claimsOf(await cardCode(app, card));
    const code = mintOnlineCode(await app.api.app.get(CampusCodeKeys).signer(), { use: 'card', sub, aud, now: at }).code;
    const res = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: [{ chargeId: randomUUID(), code, amount, chargedAt: new Date(at).toISOString() }] });
    expect(res.status).toBe(200);
    return res.body.results[0] as { status: string; reason?: string; cardBalanceAfter?: number };
  };
  const ledgerFloor = async (card: TestCard): Promise<number> => {
    const [row] = (await app.api.app.get(DataSource).query(
      `SELECT a.floor::int AS floor FROM ledger.ledger_accounts a WHERE a.owner_id = $1 AND a.purpose = 'CAMPUS_CARD'`,
      [card.id],
    )) as { floor: number }[];
    return row.floor;
  };

  it("a refund gives its amount back to the day's spending room", async () => {
    const card = await studentWithCard(app, admin, uni, 20_000);
    expect((await patch(card, { dailyLimit: 1_000 })).status).toBe(200);
    const lunch = await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 1_000 });
    expect(lunch.status).toBe(201);
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 1 }), 422, 'DAILY_LIMIT_EXCEEDED');
    expect((await refund(lunch.body.id, 400)).status).toBe(201);
    // 400 of room again, and no more
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 401 }), 422, 'DAILY_LIMIT_EXCEEDED');
    expect((await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 400 })).status).toBe(201);
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 1 }), 422, 'DAILY_LIMIT_EXCEEDED');
    // offline charges of the day count against the same room, and their refunds give it back too
    expect((await refund(lunch.body.id, 600)).status).toBe(201);
    expect(await offline(card, 600)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await offline(card, 1)).toMatchObject({ status: 'REJECTED', reason: 'DAILY_LIMIT_EXCEEDED' });
    expect((await cardView(app, card)).balance).toBe(20_000 - 1_000 + 1_000 - 400 - 600);
  });

  it('offlineLimit: 5000 by default; the owner may lower it (up to the default), the university staff set any; the ledger floor follows', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    expect(await cardView(app, card)).toMatchObject({ offlineLimit: 5_000 });
    expect(await ledgerFloor(card)).toBe(5_000);

    const lowered = await patch(card, { offlineLimit: 500 });
    expect(lowered.status).toBe(200);
    expect(lowered.body).toMatchObject({ offlineLimit: 500 });
    expect(await ledgerFloor(card)).toBe(500);
    // 1000 - 1600 = -600: beyond the new floor; 1000 - 1500 = -500: at it
    expect(await offline(card, 1_600)).toMatchObject({ status: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' });
    expect(await offline(card, 1_500)).toMatchObject({ status: 'SUCCEEDED', cardBalanceAfter: -500 });
    expect(await offline(card, 1)).toMatchObject({ status: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' });

    // below what the card already owes: refused, nothing changes
    expectError(await patch(card, { offlineLimit: 499 }), 422, 'OFFLINE_LIMIT_BELOW_BALANCE');
    expect(await ledgerFloor(card)).toBe(500);
    // the owner may not raise it above the default; the staff of another university may not touch it
    expectError(await patch(card, { offlineLimit: 5_001 }), 403, 'OFFLINE_LIMIT_NEEDS_UNIVERSITY');
    const otherUni = await makeUniversity(app, admin);
    expectError(await patch(card, { offlineLimit: 100 }, otherUni.staff.accessToken), 404, 'NOT_FOUND');
    // university staff set the offline limit, and only that
    expectError(await patch(card, { dailyLimit: 100 }, uni.staff.accessToken), 403, 'FORBIDDEN');
    const raised = await patch(card, { offlineLimit: 20_000 }, uni.staff.accessToken);
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ offlineLimit: 20_000 });
    expect(await ledgerFloor(card)).toBe(20_000);
    expect(await offline(card, 19_500)).toMatchObject({ status: 'SUCCEEDED', cardBalanceAfter: -20_000 });
    expect(await offline(card, 1)).toMatchObject({ status: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' });
    // online charges still stop at zero whatever the offline limit
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 1 }), 402, 'INSUFFICIENT_FUNDS');
    for (const bad of [{ offlineLimit: -1 }, { offlineLimit: 1.5 }, { offlineLimit: '100' }, { offlineLimit: 100_000_001 }]) {
      expectError(await patch(card, bad, uni.staff.accessToken), 400, 'VALIDATION_FAILED');
    }
  });

  it('keeps the ledger balanced', async () => {
    const report = await verifyLedger(app.api.app.get(DataSource));
    expect(report).toMatchObject({ ok: true, drift: [], negative: [], unbalanced: [] });
  });
});
