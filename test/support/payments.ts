import { shanghaiDay } from '@app/common';
import { expect } from '@jest/globals';
import type { TestApp } from './app.js';
import type { TestUser } from './factories.js';

export const PROVIDERS = ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;
export type Provider = (typeof PROVIDERS)[number];

let keys = 0;
export const idemKey = (): string => `k-${Date.now()}-${++keys}-${Math.random().toString(36).slice(2)}`;

/** POST /v1/wallet/top-ups; returns the 201 body (the order with its checkout). */
export async function topUp(app: TestApp, user: TestUser, provider: Provider, amount = 1000, currency = 'CNY'): Promise<any> {
  const res = await app.request('POST', '/v1/wallet/top-ups', {
    token: user.accessToken,
    headers: { 'idempotency-key': idemKey() },
    body: { amount, currency, provider },
  });
  if (res.status !== 201) throw new Error(`top-up failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function sandbox(app: TestApp, provider: Provider, path: string, body: unknown = {}): Promise<any> {
  const res = await app.request('POST', `/sandbox/${provider}/${path}`, { body });
  return res;
}

export async function balance(app: TestApp, user: TestUser, currency = 'CNY'): Promise<number> {
  const res = await app.request('GET', '/v1/wallet', { token: user.accessToken });
  expect(res.status).toBe(200);
  return (res.body.balances as { amount: number; currency: string }[]).find((b) => b.currency === currency)?.amount ?? 0;
}

export async function order(app: TestApp, user: TestUser, id: string): Promise<any> {
  const res = await app.request('GET', `/v1/payment-orders/${id}`, { token: user.accessToken });
  expect(res.status).toBe(200);
  return res.body;
}

/** Polls until `check` returns a value (jobs run asynchronously), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pays the order's trade at the sandbox (the notification goes out as the fault switch says). */
export async function pay(app: TestApp, provider: Provider, providerTradeId: string): Promise<any> {
  const res = await sandbox(app, provider, `trades/${providerTradeId}/pay`);
  if (res.status !== 200) throw new Error(`sandbox pay failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function setFaults(app: TestApp, provider: Provider, faults: { notifications: string; delayMs?: number; gateway?: 'UP' | 'DOWN' }): Promise<void> {
  const res = await sandbox(app, provider, 'faults', faults);
  if (res.status !== 200) throw new Error(`sandbox faults failed: ${res.status} ${res.text}`);
}

/** The Asia/Shanghai business day of now. */
export function shanghaiToday(): string {
  return shanghaiDay(new Date());
}

/** TOP_UP entries of the user's wallet. */
export async function topUpCredits(app: TestApp, user: TestUser): Promise<number[]> {
  const res = await app.request('GET', '/v1/wallet/transactions?limit=200', { token: user.accessToken });
  expect(res.status).toBe(200);
  return (res.body.items as { kind: string; amount: number }[]).filter((t) => t.kind === 'TOP_UP').map((t) => t.amount);
}
