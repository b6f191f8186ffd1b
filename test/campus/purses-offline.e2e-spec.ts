import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CampusCodeKeys, SubsidiesService } from '@app/campus';
import { PaycodeKeysService } from '@app/paycode-keys';
import { shanghaiDay } from '@app/common';
import { verifyLedger } from '@app/ledger';
import { mintOnlineCode } from '@app/paycode';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest } from '../support/factories.js';
import { eventually, idemKey } from '../support/payments.js';
import { credit } from '../support/billing.js';
import { cardCode, cardView, charge, claimsOf, grantSubsidy, makeMerchant, makeUniversity, studentWithCard, topUpCard } from '../support/campus.js';
import type { TestCard, TestMerchant, TestUniversity } from '../support/campus.js';
import { makeOperator } from '../support/transit.js';

describe('campus card: purses, subsidies, refunds, offline POS, settlement', () => {
  let app: TestApp;
  let admin: string;
  let uni: TestUniversity;
  let canteen: TestMerchant;
  let shop: TestMerchant;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000' });
    admin = await adminToken(app);
    uni = await makeUniversity(app, admin);
    canteen = await makeMerchant(app, admin, uni, 'CANTEEN');
    shop = await makeMerchant(app, admin, uni, 'SHOP');
  });
  afterAll(async () => {
    await app?.close();
  });

  const history = async (card: TestCard) => (await app.request('GET', `/v1/campus/cards/${card.id}/transactions`, { token: card.owner.accessToken })).body.items as any[];

  /** A card code minted at a past moment with the platform's key (as the phone showed it then). */
  async function codeAt(card: TestCard, at: number, claims?: Record<string, any>): Promise<string> {
    const { sub, aud } = claims ?? claimsOf(await cardCode(app, card));
    return mintOnlineCode(await app.api.app.get(CampusCodeKeys).signer(), { use: 'card', sub, aud, now: at }).code;
  }

  it('spends the subsidy purse first and refunds each part to the purse it came from', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const granted = await grantSubsidy(app, uni, { memberNos: [card.memberNo, 'NOBODY'], amount: 600, memo: 'November meal subsidy' });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ credited: 1, skipped: [{ memberNo: 'NOBODY', reason: 'UNKNOWN_MEMBER' }] });
    expect(await cardView(app, card)).toMatchObject({ balance: 1_600, subsidyBalance: 600 });

    const first = await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 400 });
    expect(first.body).toMatchObject({ subsidyAmount: 400, cardBalanceAfter: 1_200 });
    const second = await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 500 });
    expect(second.body).toMatchObject({ subsidyAmount: 200, cardBalanceAfter: 700 });
    expect(await cardView(app, card)).toMatchObject({ balance: 700, subsidyBalance: 0 });

    // refund 350 of the second (200 subsidy + 300 cash): cash first
    const r1 = await app.request('POST', `/v1/campus/charges/${second.body.id}/refunds`, { token: canteen.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount: 350 } });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ amount: 350, subsidyAmount: 50, cardBalanceAfter: 1_050 });
    expect(await cardView(app, card)).toMatchObject({ balance: 1_050, subsidyBalance: 50 });
    // the rest by default, from the merchant's POS, at api.md's path (staff or POS; /pos/charges/... is its alias)
    const r2 = await deviceRequest(app, canteen.pos, 'POST', `/v1/campus/charges/${second.body.id}/refunds`, {}, { headers: { 'idempotency-key': idemKey() } });
    expect(r2.status).toBe(201);
    expect(r2.body).toMatchObject({ amount: 150, subsidyAmount: 150 });
    expect(await cardView(app, card)).toMatchObject({ balance: 1_200, subsidyBalance: 200 });
    expectError(await app.request('POST', `/v1/campus/charges/${second.body.id}/refunds`, { token: canteen.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount: 1 } }), 422, 'REFUND_EXCEEDS_CHARGE');
    expectError(await app.request('POST', `/v1/campus/charges/${first.body.id}/refunds`, { token: canteen.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount: 401 } }), 422, 'REFUND_EXCEEDS_CHARGE');
    // another merchant's staff and POS cannot refund it
    expectError(await app.request('POST', `/v1/campus/charges/${first.body.id}/refunds`, { token: shop.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: {} }), 404, 'NOT_FOUND');
    expectError(await deviceRequest(app, shop.pos, 'POST', `/v1/campus/pos/charges/${first.body.id}/refunds`, {}, { headers: { 'idempotency-key': idemKey() } }), 404, 'NOT_FOUND');
    expectError(await deviceRequest(app, shop.pos, 'POST', `/v1/campus/charges/${first.body.id}/refunds`, {}, { headers: { 'idempotency-key': idemKey() } }), 404, 'NOT_FOUND');
    // a device of another kind (a bus reader) is refused there; an unsigned device request is not taken for a user's
    const bus = await makeOperator(app, admin);
    expectError(await deviceRequest(app, bus.reader, 'POST', `/v1/campus/charges/${first.body.id}/refunds`, {}, { headers: { 'idempotency-key': idemKey() } }), 403, 'FORBIDDEN');
    const unsigned = await app.request('POST', `/v1/campus/charges/${first.body.id}/refunds`, { headers: { 'idempotency-key': idemKey(), 'x-device-id': canteen.pos.id }, body: {} });
    expect(unsigned.status).toBe(401);

    const items = await history(card);
    expect(items.map((i) => i.kind)).toEqual(['REFUND', 'REFUND', 'CHARGE', 'CHARGE', 'SUBSIDY', 'TOP_UP']);
    expect(items.map((i) => i.balanceAfter)).toEqual([1_200, 1_050, 700, 1_200, 1_600, 1_000]);
  });

  it('parallel refunds of one charge never exceed it', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const c = await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 1_000 });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => app.request('POST', `/v1/campus/charges/${c.body.id}/refunds`, { token: canteen.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount: 300 } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 422)).toHaveLength(5);
    expect((await cardView(app, card)).balance).toBe(900);
  });

  it('grants subsidies in idempotent batches; the unspent part returns to the fund when the clock passes expiresAt', async () => {
    const a = await studentWithCard(app, admin, uni, 0, '甲');
    const b = await studentWithCard(app, admin, uni, 0, '乙');
    const key = idemKey();
    const expiresAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    const body = { memberNos: [a.memberNo, b.memberNo], amount: 1_000, memo: 'Winter subsidy', expiresAt };
    const first = await grantSubsidy(app, uni, body, key);
    expect(first.body).toMatchObject({ credited: 2, skipped: [] });
    const replay = await grantSubsidy(app, uni, body, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await cardView(app, a)).toMatchObject({ balance: 1_000, subsidyBalance: 1_000 });
    // a later subsidy without expiry, spent after the expiring one
    await grantSubsidy(app, uni, { memberNos: [a.memberNo], amount: 300, memo: 'Prize' });
    await charge(app, canteen.pos, { code: await cardCode(app, a), amount: 700 });
    const subsidies = app.api.app.get(SubsidiesService);
    expect(await subsidies.expireDue(new Date())).toBe(0);
    // move the clock past expiresAt
    expect(await subsidies.expireDue(new Date(Date.now() + 8 * 24 * 3600_000))).toBe(2);
    expect(await cardView(app, a)).toMatchObject({ balance: 300, subsidyBalance: 300 });
    expect(await cardView(app, b)).toMatchObject({ balance: 0, subsidyBalance: 0 });
    expect((await history(a))[0]).toMatchObject({ kind: 'SUBSIDY_EXPIRY', amount: -300, balanceAfter: 300 });
    expect(await subsidies.expireDue(new Date(Date.now() + 9 * 24 * 3600_000))).toBe(0);
    expectError(await grantSubsidy(app, uni, { ...body, expiresAt: new Date(Date.now() - 1000).toISOString() }), 422, 'INVALID_EXPIRY');
    expectError(await grantSubsidy(app, { ...uni, staff: canteen.staff }, body), 403, 'FORBIDDEN');
  });

  it('the expiry job runs at expiresAt', async () => {
    const card = await studentWithCard(app, admin, uni, 0, '丙');
    await grantSubsidy(app, uni, { memberNos: [card.memberNo], amount: 500, memo: 'short', expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect((await cardView(app, card)).subsidyBalance).toBe(500);
    await eventually(async () => (await cardView(app, card)).subsidyBalance === 0, 20_000, 'subsidy expired by the job');
  });

  it('takes offline charges hours late, DUPLICATE by chargeId, up to the floor and no further; the next top-up repays', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const threeHoursAgo = Date.now() - 3 * 3600_000;
    const c1 = randomUUID();
    const c2 = randomUUID();
    const c3 = randomUUID();
    const c4 = randomUUID();
    const charges = [
      { chargeId: c1, code: await codeAt(card, threeHoursAgo), amount: 800, chargedAt: new Date(threeHoursAgo + 10_000).toISOString() },
      { chargeId: c2, code: await codeAt(card, threeHoursAgo + 60_000), amount: 4_000, chargedAt: new Date(threeHoursAgo + 70_000).toISOString() },
      // beyond the floor: 1000 - 800 - 4000 = -3800; another 1500 would be -5300 < -5000
      { chargeId: c3, code: await codeAt(card, threeHoursAgo + 120_000), amount: 1_500, chargedAt: new Date(threeHoursAgo + 130_000).toISOString() },
      // expired when charged
      { chargeId: c4, code: await codeAt(card, threeHoursAgo), amount: 100, chargedAt: new Date(threeHoursAgo + 300_000).toISOString() },
    ];
    const res = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { chargeId: c1, status: 'SUCCEEDED', cardBalanceAfter: 200 },
      { chargeId: c2, status: 'SUCCEEDED', cardBalanceAfter: -3_800 },
      { chargeId: c3, status: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' },
      { chargeId: c4, status: 'REJECTED', reason: 'CODE_EXPIRED' },
    ]);
    const again = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: charges.slice(0, 3) });
    expect(again.body.results).toEqual([
      { chargeId: c1, status: 'DUPLICATE', cardBalanceAfter: 200 },
      { chargeId: c2, status: 'DUPLICATE', cardBalanceAfter: -3_800 },
      { chargeId: c3, status: 'DUPLICATE', reason: 'INSUFFICIENT_FUNDS' },
    ]);
    // the same code under a new chargeId is a second use
    const reuse = await deviceRequest(app, shop.pos, 'POST', '/v1/campus/offline-charges', { charges: [{ ...charges[0], chargeId: randomUUID() }] });
    expect(reuse.body.results[0]).toMatchObject({ status: 'REJECTED', reason: 'CODE_ALREADY_USED' });
    expect(await cardView(app, card)).toMatchObject({ balance: -3_800 });
    // online charges never go below zero
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 1 }), 402, 'INSUFFICIENT_FUNDS');
    // the next subsidy (and top-up) repays the negative balance first
    await grantSubsidy(app, uni, { memberNos: [card.memberNo], amount: 1_000, memo: 'repay' });
    expect(await cardView(app, card)).toMatchObject({ balance: -2_800, subsidyBalance: 0 });
    await credit(app, admin, card.owner, 5_000);
    expect((await topUpCard(app, card, 5_000)).status).toBe(201);
    expect(await cardView(app, card)).toMatchObject({ balance: 2_200, subsidyBalance: 0 });
  });

  it("an offline chargeId already taken is that charge's answer alone: an online charge's id or another merchant's is refused, another POS of the merchant gets DUPLICATE", async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const online = await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 100 });
    expect(online.status).toBe(201);
    const now = Date.now();
    const mine = randomUUID();
    const first = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', {
      charges: [
        // a POS that mixed its records up: the id of the charge it made online
        { chargeId: online.body.id, code: await codeAt(card, now), amount: 100, chargedAt: new Date(now).toISOString() },
        { chargeId: mine, code: await codeAt(card, now + 1_000), amount: 200, chargedAt: new Date(now + 1_000).toISOString() },
      ],
    });
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([
      { chargeId: online.body.id, status: 'REJECTED', reason: 'INVALID_CHARGE_ID' },
      { chargeId: mine, status: 'SUCCEEDED', cardBalanceAfter: 700 },
    ]);
    // another merchant's POS sends the same chargeId: refused (its sale is not recorded), told nothing of the first
    const other = await deviceRequest(app, shop.pos, 'POST', '/v1/campus/offline-charges', {
      charges: [{ chargeId: mine, code: await codeAt(card, now + 2_000), amount: 50, chargedAt: new Date(now + 2_000).toISOString() }],
    });
    expect(other.body.results).toEqual([{ chargeId: mine, status: 'REJECTED', reason: 'INVALID_CHARGE_ID' }]);
    // a second POS of the same merchant (a replacement terminal uploading the old one's queue): DUPLICATE with the first result
    const made = await app.request('POST', `/v1/organizations/${canteen.id}/devices`, { token: canteen.staff.accessToken, body: { kind: 'POS', label: 'till 2' } });
    expect(made.status).toBe(201);
    const till2 = { id: made.body.id as string, secret: made.body.secret as string, orgId: canteen.id };
    const again = await deviceRequest(app, till2, 'POST', '/v1/campus/offline-charges', {
      charges: [{ chargeId: mine, code: await codeAt(card, now + 1_000), amount: 200, chargedAt: new Date(now + 1_000).toISOString() }],
    });
    expect(again.body.results).toEqual([{ chargeId: mine, status: 'DUPLICATE', cardBalanceAfter: 700 }]);
    expect((await cardView(app, card)).balance).toBe(700);
  });

  it('an offline charge made while its key was published is taken when uploaded after the key left the JWKS', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const at = Date.now();
    const code = await codeAt(card, at);
    const other = await codeAt(card, at);
    // a rotation whose publish time ends in 1 s (in production: 24 h)
    const { retiredKid } = await app.api.app.get(PaycodeKeysService).rotate({ publishSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1_500));
    const jwks = (await app.request('GET', '/v1/campus/keys')).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(retiredKid);
    const late = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', {
      charges: [
        { chargeId: randomUUID(), code, amount: 300, chargedAt: new Date(at).toISOString() },
        // a code of the same key charged after its publish time (still within the code's life): refused
        { chargeId: randomUUID(), code: other, amount: 100, chargedAt: new Date(Date.now()).toISOString() },
      ],
    });
    expect(late.body.results.map((r: { status: string; reason?: string }) => [r.status, r.reason])).toEqual([
      ['SUCCEEDED', undefined],
      ['REJECTED', 'INVALID_CODE'],
    ]);
    expect((await cardView(app, card)).balance).toBe(700);
  });

  it('judges an offline charge at chargedAt: frozen then, another university, a card frozen only later is fine', async () => {
    const card = await studentWithCard(app, admin, uni, 2_000);
    const before = Date.now() - 60_000;
    const claims = claimsOf(await cardCode(app, card));
    const early = await codeAt(card, before, claims);
    await new Promise((r) => setTimeout(r, 50));
    await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: card.owner.accessToken });
    const frozenCode = await codeAt(card, Date.now(), claims);
    const otherUni = await makeUniversity(app, admin);
    const otherPos = (await makeMerchant(app, admin, otherUni)).pos;
    const charges = [
      { chargeId: randomUUID(), code: early, amount: 100, chargedAt: new Date(before + 1_000).toISOString() },
      { chargeId: randomUUID(), code: frozenCode, amount: 100, chargedAt: new Date().toISOString() },
    ];
    const res = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges });
    expect(res.body.results.map((r: any) => r.status + (r.reason ? `:${r.reason}` : ''))).toEqual(['SUCCEEDED', 'REJECTED:CARD_FROZEN']);
    const wrong = await deviceRequest(app, otherPos, 'POST', '/v1/campus/offline-charges', { charges: [{ chargeId: randomUUID(), code: await codeAt(card, Date.now(), claims), amount: 1, chargedAt: new Date().toISOString() }] });
    expect(wrong.body.results[0]).toMatchObject({ status: 'REJECTED', reason: 'WRONG_UNIVERSITY' });
  });

  it('a merchant settlement of a Shanghai day equals its receivable postings of that day', async () => {
    const card = await studentWithCard(app, admin, uni, 5_000);
    const merchant = await makeMerchant(app, admin, uni, 'LAUNDRY');
    const c1 = await charge(app, merchant.pos, { code: await cardCode(app, card), amount: 700 });
    await charge(app, merchant.pos, { code: await cardCode(app, card), amount: 300 });
    await app.request('POST', `/v1/campus/charges/${c1.body.id}/refunds`, { token: merchant.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { amount: 200 } });
    const date = shanghaiDay(new Date());
    const s = await app.request('GET', `/v1/campus/merchants/${merchant.id}/settlements?date=${date}`, { token: merchant.staff.accessToken });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ date, count: 2, total: { amount: 1_000 }, refunds: { count: 1, amount: 200 }, net: { amount: 800 } });
    const [{ sum }] = (await app.api.app.get(DataSource).query(
      `SELECT COALESCE(sum(p.amount), 0)::int AS sum FROM ledger.postings p JOIN ledger.ledger_accounts a ON a.id = p.account_id
        WHERE a.owner_id = $1 AND a.purpose = 'RECEIVABLE' AND (p.created_at AT TIME ZONE 'Asia/Shanghai')::date = $2::date`,
      [merchant.id, date],
    )) as { sum: number }[];
    expect(sum).toBe(s.body.net.amount);
    expectError(await app.request('GET', `/v1/campus/merchants/${merchant.id}/settlements?date=${date}`, { token: canteen.staff.accessToken }), 403, 'FORBIDDEN');
  });

  it('keeps the ledger balanced, with the card floor respected', async () => {
    const report = await verifyLedger(app.api.app.get(DataSource));
    expect(report).toMatchObject({ ok: true, drift: [], negative: [], unbalanced: [] });
  });
});
