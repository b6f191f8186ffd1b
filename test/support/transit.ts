import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';
import { deviceRequest, orgWithAdmin, type TestDevice, type TestUser, verifiedUser } from './factories.js';
import { credit } from './billing.js';

export interface TestOperator {
  operatorId: string;
  admin: TestUser;
  reader: TestDevice;
  flat: { code: string; amount: number };
  distance: { code: string; baseAmount: number; baseStops: number; perStopAmount: number; maxAmount: number };
  vehicle: { id: string; staticQr: string };
}

/** A TRANSIT_OPERATOR with an ORG_ADMIN, a FLAT route (200), a DISTANCE route (100 + 50/stop beyond 3, max 400), a vehicle and a reader. */
export async function makeOperator(app: TestApp, adminToken: string): Promise<TestOperator> {
  const suffix = Math.random().toString(36).slice(2, 6);
  // named as an operator would be (the consoles show the name; a code-like name would hide a raw kind shown by mistake)
  const { orgId, orgAdmin } = await orgWithAdmin(app, adminToken, 'TRANSIT_OPERATOR', { name: `滨海公交 ${suffix}` });
  const flat = { code: `F${suffix}`, amount: 200 };
  const distance = { code: `D${suffix}`, baseAmount: 100, baseStops: 3, perStopAmount: 50, maxAmount: 400 };
  for (const body of [
    { code: flat.code, name: 'Flat route', fare: { type: 'FLAT', amount: flat.amount, currency: 'CNY' } },
    { code: distance.code, name: 'Distance route', fare: { type: 'DISTANCE', ...distance, code: undefined, currency: 'CNY' } },
  ]) {
    const res = await app.request('POST', '/v1/transit/routes', { token: orgAdmin.accessToken, body });
    if (res.status !== 201) throw new Error(`route: ${res.status} ${res.text}`);
  }
  const v = await app.request('POST', '/v1/transit/vehicles', { token: orgAdmin.accessToken, body: { plate: `津A${suffix}`, routeCode: flat.code } });
  if (v.status !== 201) throw new Error(`vehicle: ${v.status} ${v.text}`);
  const reader = await newReader(app, orgId, orgAdmin);
  return { operatorId: orgId, admin: orgAdmin, reader, flat, distance, vehicle: { id: v.body.id, staticQr: v.body.staticQr } };
}

export async function newReader(app: TestApp, orgId: string, orgAdmin: TestUser): Promise<TestDevice> {
  const d = await app.request('POST', `/v1/organizations/${orgId}/devices`, { token: orgAdmin.accessToken, body: { kind: 'BUS_READER', label: 'front door' } });
  if (d.status !== 201) throw new Error(`device: ${d.status} ${d.text}`);
  return { id: d.body.id, secret: d.body.secret, orgId };
}

/** A KYC'd rider with `funds` fen in the wallet. */
export async function makeRider(app: TestApp, adminToken: string, funds: number): Promise<TestUser> {
  const user = await verifiedUser(app);
  if (funds > 0) await credit(app, adminToken, user, funds);
  return user;
}

export async function rideCode(app: TestApp, user: TestUser): Promise<string> {
  const res = await app.request('POST', '/v1/transit/ride-codes', { token: user.accessToken });
  if (res.status !== 201) throw new Error(`ride code: ${res.status} ${res.text}`);
  return res.body.code as string;
}

export function tap(code: string, routeCode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { tapId: randomUUID(), code, scannedAt: new Date().toISOString(), routeCode, ...extra };
}

export async function upload(app: TestApp, reader: TestDevice, taps: unknown[]): Promise<any[]> {
  const res = await deviceRequest(app, reader, 'POST', '/v1/transit/taps', { taps });
  if (res.status !== 200) throw new Error(`taps: ${res.status} ${res.text.slice(0, 400)}`);
  return res.body.results;
}

/** The `iat` of a server-issued code (seconds). */
export function codeIat(code: string): number {
  return JSON.parse(Buffer.from(code.split('.')[1], 'base64url').toString()).iat as number;
}
