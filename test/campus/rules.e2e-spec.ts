import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CampusCodeKeys } from '@app/campus';
import { mintOnlineCode } from '@app/paycode';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest } from '../support/factories.js';
import { idemKey } from '../support/payments.js';
import { cardCode, cardView, charge, claimsOf, loadMembers, makeMerchant, makeUniversity, studentWithCard } from '../support/campus.js';
import type { TestCard, TestMerchant, TestUniversity } from '../support/campus.js';

/** Rules of api.md's two campus tables that the other campus suites do not reach. */
describe('campus card: the remaining rules of the contract', () => {
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

  const offlineCode = async (card: TestCard, at = Date.now()) => {
    const { sub, aud } = claimsOf(await cardCode(app, card));
    return mintOnlineCode(await app.api.app.get(CampusCodeKeys).signer(), { use: 'card', sub, aud, now: at }).code;
  };

  it('a card code: single use, 60 s, with its QR code', async () => {
    const card = await studentWithCard(app, admin, uni);
    const before = Date.now();
    const res = await app.request('POST', `/v1/campus/cards/${card.id}/codes`, { token: card.owner.accessToken });
    expect(res.status).toBe(201);
    expect(res.body.qrSvg).toContain('<svg');
    const lifetime = Date.parse(res.body.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(55_000);
    expect(lifetime).toBeLessThanOrEqual(61_000);
    const claims = claimsOf(res.body.code);
    expect(claims.exp - claims.iat).toBe(60);
  });

  it('PATCH sets passwordFreeLimit: the PIN is asked above the new limit only', async () => {
    const card = await studentWithCard(app, admin, uni, 5_000);
    expect((await app.request('PUT', `/v1/campus/cards/${card.id}/pin`, { token: card.owner.accessToken, body: { pin: '246801' } })).status).toBe(204);
    const patched = await app.request('PATCH', `/v1/campus/cards/${card.id}`, { token: card.owner.accessToken, body: { passwordFreeLimit: 300 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ passwordFreeLimit: 300, pinSet: true });
    expect((await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 300 })).status).toBe(201);
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 301 }), 422, 'PIN_REQUIRED');
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 301, pin: '111111' }), 422, 'PIN_INVALID');
    const withPin = await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 301, pin: '246801' });
    expect(withPin.status).toBe(201);
    expect(withPin.body.cardBalanceAfter).toBe(5_000 - 300 - 301);
    // the PIN check does not use the code up: a code refused for its PIN still pays once the PIN is right
    const code = await cardCode(app, card);
    expectError(await charge(app, canteen.pos, { code, amount: 400 }), 422, 'PIN_REQUIRED');
    expect((await charge(app, canteen.pos, { code, amount: 400, pin: '246801' })).status).toBe(201);
    // no PIN offline: the exposure is bounded by offlineLimit
    const offline = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', {
      charges: [{ chargeId: randomUUID(), code: await offlineCode(card), amount: 500, chargedAt: new Date().toISOString() }],
    });
    expect(offline.body.results[0]).toMatchObject({ status: 'SUCCEEDED' });
    for (const bad of [{ passwordFreeLimit: -1 }, { dailyLimit: 0 }, { dailyLimit: 'a lot' }, { color: 'red' }]) {
      expectError(await app.request('PATCH', `/v1/campus/cards/${card.id}`, { token: card.owner.accessToken, body: bad }), 400, 'VALIDATION_FAILED');
    }
  });

  it('a member taken off the roster: no codes, online and offline charges MEMBER_INACTIVE', async () => {
    const card = await studentWithCard(app, admin, uni, 2_000, '钱九');
    const code = await cardCode(app, card);
    const early = await offlineCode(card);
    expect((await loadMembers(app, uni, [{ memberNo: card.memberNo, fullName: '钱九', active: false }])).status).toBe(201);
    expectError(await charge(app, canteen.pos, { code, amount: 100 }), 403, 'MEMBER_INACTIVE');
    expectError(await app.request('POST', `/v1/campus/cards/${card.id}/codes`, { token: card.owner.accessToken }), 403, 'MEMBER_INACTIVE');
    const offline = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: [{ chargeId: randomUUID(), code: early, amount: 100, chargedAt: new Date().toISOString() }] });
    expect(offline.body.results[0]).toMatchObject({ status: 'REJECTED', reason: 'MEMBER_INACTIVE' });
    expect((await cardView(app, card)).balance).toBe(2_000);
  });

  it('charges are idempotent per POS: replayed, key reused, key required', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const key = idemKey();
    const body = { code: await cardCode(app, card), amount: 250 };
    const first = await charge(app, canteen.pos, body, key);
    expect(first.status).toBe(201);
    const replay = await charge(app, canteen.pos, body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expectError(await charge(app, canteen.pos, { ...body, amount: 251 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/charges', { code: await cardCode(app, card), amount: 1 }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    expect((await cardView(app, card)).balance).toBe(750);
    // a refusal is replayed as it was, and nothing is charged on a retry
    const refusedKey = idemKey();
    const big = { code: await cardCode(app, card), amount: 5_000 };
    expectError(await charge(app, canteen.pos, big, refusedKey), 402, 'INSUFFICIENT_FUNDS');
    expectError(await charge(app, canteen.pos, big, refusedKey), 402, 'INSUFFICIENT_FUNDS');
    // refunds too
    const refundKey = idemKey();
    const refund = () => app.request('POST', `/v1/campus/charges/${first.body.id}/refunds`, { token: canteen.staff.accessToken, headers: { 'idempotency-key': refundKey }, body: { amount: 50 } });
    expect((await refund()).status).toBe(201);
    expect((await refund()).headers.get('idempotent-replayed')).toBe('true');
    expect((await cardView(app, card)).balance).toBe(800);
  });

  it('offline batches: at most 500, a chargeId twice in one batch is DUPLICATE, each judged alone', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const chargeId = randomUUID();
    const item = { chargeId, code: await offlineCode(card), amount: 100, chargedAt: new Date().toISOString() };
    const res = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', {
      charges: [item, item, { chargeId: randomUUID(), code: 'garbage', amount: 100, chargedAt: new Date().toISOString() }, { chargeId: randomUUID(), code: await offlineCode(card), amount: 100, chargedAt: new Date(Date.now() + 3_600_000).toISOString() }],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { chargeId, status: 'SUCCEEDED', cardBalanceAfter: 900 },
      { chargeId, status: 'DUPLICATE', cardBalanceAfter: 900 },
      { chargeId: expect.any(String), status: 'REJECTED', reason: 'INVALID_CODE' },
      { chargeId: expect.any(String), status: 'REJECTED', reason: 'INVALID_CHARGED_AT' },
    ]);
    const tooMany = Array.from({ length: 501 }, () => ({ ...item, chargeId: randomUUID() }));
    expectError(await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: tooMany }), 400, 'VALIDATION_FAILED');
    // users cannot upload; POS devices only
    expectError(await app.request('POST', '/v1/campus/offline-charges', { token: card.owner.accessToken, body: { charges: [item] } }), 401, 'DEVICE_AUTH_FAILED');
    expect((await cardView(app, card)).balance).toBe(900);
  });

  it('the history pages with a cursor, newest first, each line with balanceAfter', async () => {
    const card = await studentWithCard(app, admin, uni, 3_000);
    for (const amount of [100, 200, 300]) expect((await charge(app, canteen.pos, { code: await cardCode(app, card), amount })).status).toBe(201);
    const page1 = await app.request('GET', `/v1/campus/cards/${card.id}/transactions?limit=2`, { token: card.owner.accessToken });
    expect(page1.body.items.map((i: any) => [i.kind, i.amount, i.balanceAfter])).toEqual([
      ['CHARGE', -300, 2_400],
      ['CHARGE', -200, 2_700],
    ]);
    const page2 = await app.request('GET', `/v1/campus/cards/${card.id}/transactions?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { token: card.owner.accessToken });
    expect(page2.body.items.map((i: any) => [i.kind, i.amount, i.balanceAfter])).toEqual([
      ['CHARGE', -100, 2_900],
      ['TOP_UP', 3_000, 3_000],
    ]);
    expect(page2.body.nextCursor).toBeNull();
    const stranger = await studentWithCard(app, admin, uni);
    expectError(await app.request('GET', `/v1/campus/cards/${card.id}/transactions`, { token: stranger.owner.accessToken }), 404, 'NOT_FOUND');
  });
});
