import { randomInt } from 'node:crypto';
import type { TestApp } from './app.js';
import { createOrg, deviceRequest, registerUser, verifiedUser } from './factories.js';
import type { TestDevice, TestUser } from './factories.js';
import { credit } from './billing.js';
import { idemKey } from './payments.js';

export interface TestUniversity {
  id: string;
  staff: TestUser;
}

export interface TestMerchant {
  id: string;
  staff: TestUser;
  pos: TestDevice;
}

async function staffOf(app: TestApp, admin: string, orgId: string): Promise<TestUser> {
  const staff = await registerUser(app);
  const res = await app.request('POST', `/v1/organizations/${orgId}/staff`, { token: admin, body: { phone: staff.phone, role: 'ORG_ADMIN' } });
  if (res.status !== 201) throw new Error(`grant failed: ${res.status} ${res.text}`);
  return staff;
}

export async function makeUniversity(app: TestApp, admin: string, name = `天津商业大学 ${randomInt(1e9)}`): Promise<TestUniversity> {
  const org = await createOrg(app, admin, { kind: 'UNIVERSITY', name });
  return { id: org.id, staff: await staffOf(app, admin, org.id) };
}

export async function makeMerchant(app: TestApp, admin: string, university: TestUniversity, category = 'CANTEEN'): Promise<TestMerchant> {
  const org = await createOrg(app, admin, { kind: 'MERCHANT', name: `第一食堂 ${randomInt(1e9)}`, universityId: university.id, merchantCategory: category });
  const staff = await staffOf(app, admin, org.id);
  const res = await app.request('POST', `/v1/organizations/${org.id}/devices`, { token: staff.accessToken, body: { kind: 'POS', label: 'till 1' } });
  if (res.status !== 201) throw new Error(`device failed: ${res.status} ${res.text}`);
  return { id: org.id, staff, pos: { id: res.body.id, secret: res.body.secret, orgId: org.id } };
}

export async function addPos(app: TestApp, merchant: TestMerchant): Promise<TestDevice> {
  const res = await app.request('POST', `/v1/organizations/${merchant.id}/devices`, { token: merchant.staff.accessToken, body: { kind: 'POS', label: `till ${randomInt(1e6)}` } });
  if (res.status !== 201) throw new Error(`device failed: ${res.status} ${res.text}`);
  return { id: res.body.id, secret: res.body.secret, orgId: merchant.id };
}

export function loadMembers(app: TestApp, university: TestUniversity, members: { memberNo: string; fullName: string; kind?: string; active?: boolean }[]) {
  return app.request('POST', `/v1/campus/${university.id}/members`, {
    token: university.staff.accessToken,
    body: { members: members.map((m) => ({ kind: 'STUDENT', ...m })) },
  });
}

export interface TestCard {
  id: string;
  owner: TestUser;
  memberNo: string;
}

/** A verified student on the roster with a card, and `funds` topped up from the wallet. */
export async function studentWithCard(app: TestApp, admin: string, university: TestUniversity, funds = 0, fullName = '李四'): Promise<TestCard> {
  const memberNo = `S${randomInt(1e9)}`;
  const loaded = await loadMembers(app, university, [{ memberNo, fullName }]);
  if (loaded.status !== 201) throw new Error(`members failed: ${loaded.status} ${loaded.text}`);
  const owner = await verifiedUser(app, { fullName });
  const res = await app.request('POST', '/v1/campus/cards', { token: owner.accessToken, body: { universityId: university.id, memberNo } });
  if (res.status !== 201) throw new Error(`card failed: ${res.status} ${res.text}`);
  const card = { id: res.body.id as string, owner, memberNo };
  if (funds > 0) {
    await credit(app, admin, owner, funds);
    const top = await topUpCard(app, card, funds);
    if (top.status !== 201) throw new Error(`top-up failed: ${top.status} ${top.text}`);
  }
  return card;
}

export function topUpCard(app: TestApp, card: TestCard, amount: number, source = 'WALLET', key = idemKey()) {
  return app.request('POST', `/v1/campus/cards/${card.id}/top-ups`, { token: card.owner.accessToken, headers: { 'idempotency-key': key }, body: { amount, source } });
}

export async function cardCode(app: TestApp, card: TestCard): Promise<string> {
  const res = await app.request('POST', `/v1/campus/cards/${card.id}/codes`, { token: card.owner.accessToken });
  if (res.status !== 201) throw new Error(`code failed: ${res.status} ${res.text}`);
  return res.body.code as string;
}

export function charge(app: TestApp, pos: TestDevice, body: Record<string, unknown>, key = idemKey()) {
  return deviceRequest(app, pos, 'POST', '/v1/campus/charges', body, { headers: { 'idempotency-key': key } });
}

export async function cardView(app: TestApp, card: TestCard): Promise<any> {
  const res = await app.request('GET', '/v1/campus/cards', { token: card.owner.accessToken });
  if (res.status !== 200) throw new Error(`cards failed: ${res.status} ${res.text}`);
  return (res.body as any[]).find((c) => c.id === card.id);
}

export function grantSubsidy(app: TestApp, university: TestUniversity, body: Record<string, unknown>, key = idemKey()) {
  return app.request('POST', `/v1/campus/${university.id}/subsidies`, { token: university.staff.accessToken, headers: { 'idempotency-key': key }, body });
}

/** The claims of a compact JWS (no verification: for reading sub and aud in tests). */
export function claimsOf(code: string): Record<string, any> {
  return JSON.parse(Buffer.from(code.split('.')[1], 'base64url').toString('utf8')) as Record<string, any>;
}
