import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CampusCodeKeys } from '@app/campus';
import { verifyLedger } from '@app/ledger';
import { mintOnlineCode, verifyCode } from '@app/paycode';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest, registerUser, verifiedUser } from '../support/factories.js';
import { credit } from '../support/billing.js';
import { eventually, idemKey, pay } from '../support/payments.js';
import {
  cardCode,
  cardView,
  charge,
  claimsOf,
  loadMembers,
  makeMerchant,
  makeUniversity,
  studentWithCard,
  topUpCard,
} from '../support/campus.js';
import type { TestMerchant, TestUniversity } from '../support/campus.js';

describe('campus card: roster, issue, top-ups, POS charges, PIN', () => {
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

  it('upserts the roster by memberNo; only the university staff may', async () => {
    const first = await loadMembers(app, uni, [
      { memberNo: 'R-1', fullName: '王五' },
      { memberNo: 'R-2', fullName: '赵六', kind: 'STAFF' },
    ]);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ created: 2, updated: 0 });
    const again = await loadMembers(app, uni, [
      { memberNo: 'R-2', fullName: '赵六', active: false },
      { memberNo: 'R-3', fullName: '孙七' },
    ]);
    expect(again.body).toEqual({ created: 1, updated: 1 });
    const outsider = await registerUser(app);
    expectError(await app.request('POST', `/v1/campus/${uni.id}/members`, { token: outsider.accessToken, body: { members: [{ memberNo: 'X', fullName: 'x', kind: 'STUDENT' }] } }), 403, 'FORBIDDEN');
    expectError(await app.request('POST', `/v1/campus/${canteen.id}/members`, { token: canteen.staff.accessToken, body: { members: [{ memberNo: 'X', fullName: 'x', kind: 'STUDENT' }] } }), 404, 'NOT_FOUND');
    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ memberNo: `M${i}`, fullName: '某', kind: 'STUDENT' }));
    expectError(await app.request('POST', `/v1/campus/${uni.id}/members`, { token: uni.staff.accessToken, body: { members: tooMany } }), 400, 'VALIDATION_FAILED');
    const many = Array.from({ length: 10_000 }, (_, i) => ({ memberNo: `B${i}`, fullName: `学生${i}`, kind: 'STUDENT' }));
    const bulk = await app.request('POST', `/v1/campus/${uni.id}/members`, { token: uni.staff.accessToken, body: { members: many } });
    expect(bulk.status).toBe(201);
    expect(bulk.body).toEqual({ created: 10_000, updated: 0 });
  });

  it('issues a card only to the member by verified real name (width and spaces normalised), one per member', async () => {
    await loadMembers(app, uni, [{ memberNo: 'N-1', fullName: '欧阳　娜娜' }, { memberNo: 'N-2', fullName: 'ＬＩ Ｌｅｉ' }, { memberNo: 'N-3', fullName: '周八', active: false }]);
    const nana = await verifiedUser(app, { fullName: '欧阳娜娜' });
    const res = await app.request('POST', '/v1/campus/cards', { token: nana.accessToken, body: { universityId: uni.id, memberNo: 'N-1' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ universityId: uni.id, memberNo: 'N-1', status: 'ACTIVE', balance: 0, subsidyBalance: 0, dailyLimit: expect.any(Number), passwordFreeLimit: 10_000, offlineLimit: 5_000 });
    expectError(await app.request('POST', '/v1/campus/cards', { token: nana.accessToken, body: { universityId: uni.id, memberNo: 'N-1' } }), 409, 'CARD_EXISTS');
    const lei = await verifiedUser(app, { fullName: 'Li  Lei' });
    expect((await app.request('POST', '/v1/campus/cards', { token: lei.accessToken, body: { universityId: uni.id, memberNo: 'N-2' } })).status).toBe(201);
    const other = await verifiedUser(app, { fullName: '欧阳娜' });
    expectError(await app.request('POST', '/v1/campus/cards', { token: other.accessToken, body: { universityId: uni.id, memberNo: 'N-1' } }), 422, 'MEMBER_MISMATCH');
    const zhou = await verifiedUser(app, { fullName: '周八' });
    expectError(await app.request('POST', '/v1/campus/cards', { token: zhou.accessToken, body: { universityId: uni.id, memberNo: 'N-3' } }), 403, 'MEMBER_INACTIVE');
    const unverified = await registerUser(app);
    expectError(await app.request('POST', '/v1/campus/cards', { token: unverified.accessToken, body: { universityId: uni.id, memberNo: 'N-1' } }), 403, 'KYC_REQUIRED');
    expectError(await app.request('POST', '/v1/campus/cards', { token: nana.accessToken, body: { universityId: uni.id, memberNo: 'nobody' } }), 404, 'NOT_FOUND');
    const mine = await app.request('GET', '/v1/campus/cards', { token: nana.accessToken });
    expect(mine.body).toHaveLength(1);
    // another user cannot see or use it
    expectError(await app.request('POST', `/v1/campus/cards/${res.body.id}/codes`, { token: lei.accessToken }), 404, 'NOT_FOUND');
  });

  it('tops up from the wallet at once (idempotent), 402 when the wallet is short', async () => {
    const card = await studentWithCard(app, admin, uni);
    await credit(app, admin, card.owner, 5_000);
    const key = idemKey();
    const res = await topUpCard(app, card, 3_000, 'WALLET', key);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'SUCCEEDED', amount: 3_000, card: { balance: 3_000 } });
    const replay = await topUpCard(app, card, 3_000, 'WALLET', key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await cardView(app, card)).balance).toBe(3_000);
    expectError(await topUpCard(app, card, 2_001), 402, 'INSUFFICIENT_FUNDS');
    expectError(await topUpCard(app, card, 0), 400, 'VALIDATION_FAILED');
    expectError(await topUpCard(app, card, 10, 'CASH'), 400, 'VALIDATION_FAILED');
  });

  it('tops up through a provider: PENDING with a checkout, credited on capture', async () => {
    const card = await studentWithCard(app, admin, uni);
    const res = await topUpCard(app, card, 2_500, 'ALIPAY');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'PENDING', amount: 2_500, checkout: { providerTradeId: expect.any(String) } });
    expect((await cardView(app, card)).balance).toBe(0);
    await pay(app, 'ALIPAY', res.body.checkout.providerTradeId);
    await eventually(async () => (await cardView(app, card)).balance === 2_500, 10_000, 'card credited');
    const history = await app.request('GET', `/v1/campus/cards/${card.id}/transactions`, { token: card.owner.accessToken });
    expect(history.body.items[0]).toMatchObject({ kind: 'TOP_UP', amount: 2_500, balanceAfter: 2_500 });
  });

  it('charges by code at a POS: single use, expiry, forgery, other universities, ride codes, frozen cards, daily limit', async () => {
    const card = await studentWithCard(app, admin, uni, 20_000);
    const code = await cardCode(app, card);
    const claims = claimsOf(code);
    expect(claims).toMatchObject({ use: 'card', aud: expect.any(String), sub: expect.any(String) });
    expect(code.length).toBeLessThanOrEqual(256);
    const ok = await charge(app, canteen.pos, { code, amount: 1_200, description: 'lunch' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ id: expect.any(String), status: 'SUCCEEDED', amount: 1_200, cardBalanceAfter: 18_800 });
    expectError(await charge(app, canteen.pos, { code, amount: 100 }), 422, 'CODE_ALREADY_USED');

    const tampered = code.slice(0, -3) + (code.endsWith('AAA') ? 'BBB' : 'AAA');
    expectError(await charge(app, canteen.pos, { code: tampered, amount: 100 }), 422, 'INVALID_CODE');
    expectError(await charge(app, canteen.pos, { code: 'not a code', amount: 100 }), 422, 'INVALID_CODE');

    const signer = await app.api.app.get(CampusCodeKeys).signer();
    const old = mintOnlineCode(signer, { use: 'card', sub: claims.sub, aud: claims.aud, now: Date.now() - 120_000 });
    expectError(await charge(app, canteen.pos, { code: old.code, amount: 100 }), 422, 'CODE_EXPIRED');
    // a ride code is never a card code, and the reverse
    const ride = mintOnlineCode(signer, { use: 'ride', sub: claims.sub, aud: claims.aud, now: Date.now() });
    expectError(await charge(app, canteen.pos, { code: ride.code, amount: 100 }), 422, 'INVALID_CODE');
    const jwks = (await app.request('GET', '/v1/campus/keys')).body;
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
    const fresh = await cardCode(app, card);
    expect(verifyCode(fresh, jwks, { now: Date.now(), use: 'card' }).ok).toBe(true);
    expect(verifyCode(fresh, jwks, { now: Date.now(), use: 'ride' })).toMatchObject({ ok: false, reason: 'INVALID_CODE', detail: 'WRONG_USE' });

    // another university's merchant
    const otherUni = await makeUniversity(app, admin);
    const otherShop = await makeMerchant(app, admin, otherUni, 'SHOP');
    expectError(await charge(app, otherShop.pos, { code: fresh, amount: 100 }), 403, 'WRONG_UNIVERSITY');

    // frozen by the owner, then by university staff; unfrozen by the owner
    const frozen = await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: card.owner.accessToken });
    expect(frozen.status).toBe(200);
    expect(frozen.body.status).toBe('FROZEN');
    expectError(await charge(app, canteen.pos, { code: fresh, amount: 100 }), 403, 'CARD_FROZEN');
    expectError(await app.request('POST', `/v1/campus/cards/${card.id}/codes`, { token: card.owner.accessToken }), 403, 'CARD_FROZEN');
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/unfreeze`, { token: uni.staff.accessToken })).body.status).toBe('ACTIVE');
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: uni.staff.accessToken })).body.status).toBe('FROZEN');
    expectError(await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: otherUni.staff.accessToken }), 404, 'NOT_FOUND');
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/unfreeze`, { token: card.owner.accessToken })).body.status).toBe('ACTIVE');

    // daily limit (PATCH lowers it)
    const patched = await app.request('PATCH', `/v1/campus/cards/${card.id}`, { token: card.owner.accessToken, body: { dailyLimit: 2_000 } });
    expect(patched.status).toBe(200);
    expect(patched.body.dailyLimit).toBe(2_000);
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 801 }), 422, 'DAILY_LIMIT_EXCEEDED');
    expect((await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 800 })).status).toBe(201);
    // a user cannot charge, a bus reader neither
    expectError(await app.request('POST', '/v1/campus/charges', { token: card.owner.accessToken, headers: { 'idempotency-key': idemKey() }, body: { code: fresh, amount: 1 } }), 401, 'DEVICE_AUTH_FAILED');
  });

  it('20 concurrent charges against a balance for 10: exactly 10 succeed, the rest 402, never below zero', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const codes = await Promise.all(Array.from({ length: 20 }, () => cardCode(app, card)));
    const results = await Promise.all(codes.map((code) => charge(app, canteen.pos, { code, amount: 100 })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(10);
    for (const r of results.filter((x) => x.status === 402)) expect(r.body.code).toBe('INSUFFICIENT_FUNDS');
    expect((await cardView(app, card)).balance).toBe(0);
  });

  it('asks for the PIN above the password-free limit; the fifth wrong PIN of the day freezes the card', async () => {
    const card = await studentWithCard(app, admin, uni, 40_000);
    const body = async (extra: Record<string, unknown>) => ({ code: await cardCode(app, card), amount: 12_000, ...extra });
    expectError(await charge(app, canteen.pos, await body({})), 422, 'PIN_REQUIRED');
    const set = await app.request('PUT', `/v1/campus/cards/${card.id}/pin`, { token: card.owner.accessToken, body: { pin: '135790' } });
    expect(set.status).toBe(204);
    expectError(await app.request('PUT', `/v1/campus/cards/${card.id}/pin`, { token: card.owner.accessToken, body: { pin: '12345' } }), 400, 'VALIDATION_FAILED');
    expectError(await charge(app, canteen.pos, await body({})), 422, 'PIN_REQUIRED');
    expect((await charge(app, canteen.pos, await body({ pin: '135790' }))).status).toBe(201);
    // below the limit no PIN is needed
    expect((await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 500 })).status).toBe(201);
    for (let i = 1; i <= 4; i++) expectError(await charge(app, canteen.pos, await body({ pin: '000000' })), 422, 'PIN_INVALID');
    expect((await cardView(app, card)).status).toBe('ACTIVE');
    const code = await cardCode(app, card);
    expectError(await charge(app, canteen.pos, { code, amount: 12_000, pin: '000000' }), 422, 'PIN_INVALID');
    expect((await cardView(app, card)).status).toBe('FROZEN');
    expectError(await charge(app, canteen.pos, { code, amount: 500 }), 403, 'CARD_FROZEN');
    // the PIN never shows in logs or answers
    expect(JSON.stringify(app.logs)).not.toContain('135790');
    expect(JSON.stringify(await cardView(app, card))).not.toContain('135790');
    await app.request('POST', `/v1/campus/cards/${card.id}/unfreeze`, { token: card.owner.accessToken });
    expect((await charge(app, canteen.pos, await body({ pin: '135790' }))).status).toBe(201);
  });

  it('refuses bad input with 4xx, never a 500', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const code = await cardCode(app, card);
    const bad: [string, string, unknown][] = [
      ['POST', '/v1/campus/charges', { code, amount: -1 }],
      ['POST', '/v1/campus/charges', { code, amount: 1.5 }],
      ['POST', '/v1/campus/charges', { code, amount: '100' }],
      ['POST', '/v1/campus/charges', { code, amount: 100, extra: 1 }],
      ['POST', '/v1/campus/charges', { code: 12, amount: 100 }],
      ['POST', '/v1/campus/offline-charges', { charges: [{ chargeId: 'nope', code, amount: 1, chargedAt: 'yesterday' }] }],
      ['POST', '/v1/campus/offline-charges', { charges: [] }],
      ['POST', '/v1/campus/pos/charges/not-a-uuid/refunds', {}],
    ];
    for (const [method, path, b] of bad) {
      const res = await deviceRequest(app, canteen.pos, method, path, b, { headers: { 'idempotency-key': idemKey() } });
      expect([400, 404, 422]).toContain(res.status);
    }
    const t = card.owner.accessToken;
    for (const path of ['/v1/campus/cards/not-a-uuid/codes', '/v1/campus/cards/00000000-0000-0000-0000-000000000000/freeze', '/v1/campus/cards/x/top-ups']) {
      const res = await app.request('POST', path, { token: t, headers: { 'idempotency-key': idemKey() }, body: { amount: 1, source: 'WALLET' } });
      expect([400, 404]).toContain(res.status);
    }
    expect((await app.request('GET', '/v1/campus/cards/zzz/transactions', { token: t })).status).toBe(404);
    expect((await app.request('GET', `/v1/campus/cards/${card.id}/transactions?cursor=%%%`, { token: t })).status).toBe(400);
    expect((await app.request('POST', '/v1/campus/cards', { token: t, raw: '{"universityId":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await app.request('GET', `/v1/campus/merchants/${canteen.id}/settlements?date=2026-13-45`, { token: canteen.staff.accessToken })).status).toBe(400);
    expect((await app.request('POST', `/v1/campus/${uni.id}/subsidies`, { token: uni.staff.accessToken, headers: { 'idempotency-key': idemKey() }, body: { memberNos: ['x'], amount: 1, memo: 'm', expiresAt: 'soon' } })).status).toBe(400);
  });

  it('keeps the ledger balanced', async () => {
    const report = await verifyLedger(app.api.app.get(DataSource));
    expect(report).toMatchObject({ ok: true, drift: [], negative: [], unbalanced: [] });
  });
});
