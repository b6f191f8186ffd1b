import { randomInt } from 'node:crypto';
import { signDeviceRequest } from '@app/identity';
import type { HttpResult, TestApp } from './app.js';

export const ADMIN = { phone: '+8613900000001', password: 'admin-password-123' };

export function randomPhone(): string {
  return `+86138${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

/** A valid GB 11643 number with a random birth date and sequence. */
export function randomPrcId(birth?: string): string {
  const date = birth ?? `${randomInt(1950, 2005)}${String(randomInt(1, 13)).padStart(2, '0')}${String(randomInt(1, 29)).padStart(2, '0')}`;
  const first17 = `110105${date}${String(randomInt(0, 1000)).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

export interface TestUser {
  id: string;
  phone: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export async function registerUser(app: TestApp, overrides: { phone?: string; password?: string; displayName?: string } = {}): Promise<TestUser> {
  const phone = overrides.phone ?? randomPhone();
  const password = overrides.password ?? 'correct-horse-battery';
  const res = await app.request('POST', '/v1/auth/register', {
    body: { phone, password, ...(overrides.displayName ? { displayName: overrides.displayName } : {}) },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { id: res.body.user.id, phone, password, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export async function verifiedUser(app: TestApp, overrides: { fullName?: string; idNumber?: string } = {}): Promise<TestUser> {
  const user = await registerUser(app);
  const res = await app.request('POST', '/v1/me/real-name', {
    token: user.accessToken,
    body: { fullName: overrides.fullName ?? '张三', idType: 'PRC_ID', idNumber: overrides.idNumber ?? randomPrcId() },
  });
  if (res.status !== 200) throw new Error(`real-name failed: ${res.status} ${res.text}`);
  return user;
}

export async function login(app: TestApp, phone: string, password: string): Promise<HttpResult> {
  return app.request('POST', '/v1/auth/login', { body: { phone, password } });
}

export async function adminToken(app: TestApp): Promise<string> {
  const res = await login(app, ADMIN.phone, ADMIN.password);
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`);
  return res.body.accessToken as string;
}

export async function createOrg(app: TestApp, token: string, overrides: Record<string, unknown> = {}): Promise<{ id: string; kind: string }> {
  const kind = (overrides.kind as string) ?? 'TRANSIT_OPERATOR';
  const body = { name: `${kind} ${randomInt(1e9)}`, kind, ...(kind === 'BILLER' ? { billerCategory: 'ELECTRICITY' } : {}), ...overrides };
  const res = await app.request('POST', '/v1/admin/organizations', { token, body });
  if (res.status !== 201) throw new Error(`create org failed: ${res.status} ${res.text}`);
  return res.body;
}

/** A user who is ORG_ADMIN of a new organisation of this kind. */
export async function orgWithAdmin(app: TestApp, admin: string, kind = 'TRANSIT_OPERATOR', overrides: Record<string, unknown> = {}): Promise<{ orgId: string; orgAdmin: TestUser }> {
  const org = await createOrg(app, admin, { kind, ...overrides });
  const orgAdmin = await registerUser(app);
  const grant = await app.request('POST', `/v1/organizations/${org.id}/staff`, { token: admin, body: { phone: orgAdmin.phone, role: 'ORG_ADMIN' } });
  if (grant.status !== 201) throw new Error(`grant failed: ${grant.status} ${grant.text}`);
  // roles are read per request, so the existing token carries the new role
  return { orgId: org.id, orgAdmin };
}

export interface TestDevice {
  id: string;
  secret: string;
  orgId: string;
}

/** Sends a request signed as api.md describes (the bytes sent are the bytes signed). */
export async function deviceRequest(
  app: TestApp,
  device: { id: string; secret: string },
  method: string,
  path: string,
  body?: unknown,
  options: { timestamp?: number; signature?: string; signedBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Date.now());
  const signature = options.signature ?? signDeviceRequest(device.secret, method, path, timestamp, options.signedBody ?? raw);
  return app.request(method, path, {
    ...(body === undefined ? {} : { raw }),
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'x-device-id': device.id,
      'x-device-timestamp': timestamp,
      'x-device-signature': signature,
      ...options.headers,
    },
  });
}
