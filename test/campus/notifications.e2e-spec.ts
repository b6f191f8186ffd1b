import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, deviceRequest } from '../support/factories.js';
import { idemKey } from '../support/payments.js';
import { cardCode, charge, grantSubsidy, makeMerchant, makeUniversity, studentWithCard } from '../support/campus.js';
import type { TestCard, TestMerchant, TestUniversity } from '../support/campus.js';

/** api.md "Notifications and live events": campus writes CARD_CHARGED, CARD_FROZEN and SUBSIDY_CREDITED in the event's transaction. */
describe('campus notifications', () => {
  let app: TestApp;
  let admin: string;
  let uni: TestUniversity;
  let canteen: TestMerchant;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    uni = await makeUniversity(app, admin);
    canteen = await makeMerchant(app, admin, uni);
  });
  afterAll(async () => {
    await app?.close();
  });

  const notes = async (card: TestCard, type: string) => {
    const res = await app.request('GET', '/v1/me/notifications?limit=100', { token: card.owner.accessToken });
    expect(res.status).toBe(200);
    return (res.body.items as any[]).filter((n) => n.type === type);
  };

  it('CARD_CHARGED once per online charge (a retry with the same key adds none), none for a refused one', async () => {
    const card = await studentWithCard(app, admin, uni, 1_000);
    const key = idemKey();
    const body = { code: await cardCode(app, card), amount: 300 };
    const first = await charge(app, canteen.pos, body, key);
    expect(first.status).toBe(201);
    expect((await charge(app, canteen.pos, body, key)).body.id).toBe(first.body.id);
    const charged = await notes(card, 'CARD_CHARGED');
    expect(charged).toHaveLength(1);
    expect(charged[0]).toMatchObject({ data: { chargeId: first.body.id, amount: { amount: 300, currency: 'CNY' } }, title: expect.any(String), body: expect.stringContaining('3.00') });

    expectError(await charge(app, canteen.pos, { code: await cardCode(app, card), amount: 800 }), 402, 'INSUFFICIENT_FUNDS');
    expect(await notes(card, 'CARD_CHARGED')).toHaveLength(1);
  });

  it('CARD_CHARGED for an accepted offline charge, once however often it is uploaded; none for a rejected one', async () => {
    const card = await studentWithCard(app, admin, uni, 500);
    const ok = { chargeId: randomUUID(), code: await cardCode(app, card), amount: 200, chargedAt: new Date().toISOString() };
    const res = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: [ok] });
    expect(res.body.results).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    const again = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: [ok] });
    expect(again.body.results).toEqual([expect.objectContaining({ status: 'DUPLICATE' })]);
    // far beyond the offline floor: rejected, no notification
    const over = { chargeId: randomUUID(), code: await cardCode(app, card), amount: 1_000_000, chargedAt: new Date().toISOString() };
    const rejected = await deviceRequest(app, canteen.pos, 'POST', '/v1/campus/offline-charges', { charges: [over] });
    expect(rejected.body.results).toEqual([expect.objectContaining({ status: 'REJECTED' })]);
    const charged = await notes(card, 'CARD_CHARGED');
    expect(charged.map((n) => n.data.chargeId)).toEqual([ok.chargeId]);
  });

  it('CARD_FROZEN on a freeze by the owner or staff (not on a repeat) and on the fifth wrong PIN', async () => {
    const card = await studentWithCard(app, admin, uni);
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: card.owner.accessToken })).status).toBe(200);
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: uni.staff.accessToken })).status).toBe(200);
    expect(await notes(card, 'CARD_FROZEN')).toEqual([expect.objectContaining({ data: { cardId: card.id } })]);
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/unfreeze`, { token: card.owner.accessToken })).status).toBe(200);
    expect((await app.request('POST', `/v1/campus/cards/${card.id}/freeze`, { token: uni.staff.accessToken })).status).toBe(200);
    expect(await notes(card, 'CARD_FROZEN')).toHaveLength(2);

    const pinned = await studentWithCard(app, admin, uni, 20_000);
    expect((await app.request('PUT', `/v1/campus/cards/${pinned.id}/pin`, { token: pinned.owner.accessToken, body: { pin: '135790' } })).status).toBeLessThan(300);
    for (let i = 1; i <= 4; i++) expectError(await charge(app, canteen.pos, { code: await cardCode(app, pinned), amount: 12_000, pin: '000000' }), 422, 'PIN_INVALID');
    expect(await notes(pinned, 'CARD_FROZEN')).toHaveLength(0);
    expectError(await charge(app, canteen.pos, { code: await cardCode(app, pinned), amount: 12_000, pin: '000000' }), 422, 'PIN_INVALID');
    expect(await notes(pinned, 'CARD_FROZEN')).toEqual([expect.objectContaining({ data: { cardId: pinned.id } })]);
  });

  it('SUBSIDY_CREDITED to each credited member with a card, once per batch (a retried grant adds none)', async () => {
    const a = await studentWithCard(app, admin, uni);
    const b = await studentWithCard(app, admin, uni);
    const key = idemKey();
    const body = { memberNos: [a.memberNo, b.memberNo, 'NOBODY'], amount: 600, memo: 'meal subsidy' };
    expect((await grantSubsidy(app, uni, body, key)).body).toMatchObject({ credited: 2 });
    expect((await grantSubsidy(app, uni, body, key)).body).toMatchObject({ credited: 2 });
    for (const card of [a, b]) expect(await notes(card, 'SUBSIDY_CREDITED')).toEqual([expect.objectContaining({ data: expect.objectContaining({ amount: { amount: 600, currency: 'CNY' } }) })]);
  });
});
