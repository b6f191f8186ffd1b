import { randomInt } from 'node:crypto';
import type { TestApp } from './app.js';
import { registerUser } from './factories.js';
import type { TestUser } from './factories.js';
import { idemKey } from './payments.js';

export interface TestBiller {
  billerId: string;
  staff: TestUser;
}

/** A BILLER organisation (amount rules as given) and an ORG_OPERATOR of it. */
export async function makeBiller(
  app: TestApp,
  admin: string,
  overrides: { billerCategory?: string; billerAllowsPartial?: boolean; billerAllowsAdvance?: boolean; name?: string } = {},
): Promise<TestBiller> {
  const res = await app.request('POST', '/v1/admin/organizations', {
    token: admin,
    body: { name: `Biller ${randomInt(1e9)}`, kind: 'BILLER', billerCategory: 'ELECTRICITY', ...overrides },
  });
  if (res.status !== 201) throw new Error(`biller failed: ${res.status} ${res.text}`);
  const staff = await registerUser(app);
  const grant = await app.request('POST', `/v1/organizations/${res.body.id}/staff`, { token: admin, body: { phone: staff.phone, role: 'ORG_ADMIN' } });
  if (grant.status !== 201) throw new Error(`grant failed: ${grant.status} ${grant.text}`);
  return { billerId: res.body.id, staff };
}

export function bill(customerRef: string, amount: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { customerRef, period: '2026-11', amount, currency: 'CNY', dueDate: '2026-12-15', customerName: '张三丰', ...overrides };
}

export async function loadBills(app: TestApp, biller: TestBiller, bills: unknown[]): Promise<any> {
  const res = await app.request('POST', `/v1/billers/${biller.billerId}/bills`, { token: biller.staff.accessToken, body: { bills } });
  if (res.status !== 201) throw new Error(`load failed: ${res.status} ${res.text.slice(0, 300)}`);
  return res.body;
}

/** The one bill of this customerRef, as a KYC'd user fetches it. */
export async function fetchBill(app: TestApp, user: TestUser, biller: TestBiller, customerRef: string): Promise<any> {
  const res = await app.request('GET', `/v1/billers/${biller.billerId}/bills?customerRef=${customerRef}`, { token: user.accessToken });
  if (res.status !== 200 || res.body.length !== 1) throw new Error(`fetch failed: ${res.status} ${res.text}`);
  return res.body[0];
}

export async function credit(app: TestApp, admin: string, user: TestUser, amount: number): Promise<void> {
  const res = await app.request('POST', '/v1/admin/adjustments', {
    token: admin,
    headers: { 'idempotency-key': idemKey() },
    body: { userId: user.id, direction: 'CREDIT', amount, currency: 'CNY', reason: 'test funds' },
  });
  if (res.status !== 201) throw new Error(`credit failed: ${res.status} ${res.text}`);
}

export function payBill(app: TestApp, user: TestUser, billId: string, body: Record<string, unknown>, key = idemKey()) {
  return app.request('POST', `/v1/bills/${billId}/payments`, { token: user.accessToken, headers: { 'idempotency-key': key }, body });
}
