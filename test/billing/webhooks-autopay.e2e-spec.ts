import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';
import { balance, eventually } from '../support/payments.js';

/** A biller's receiver: verifies the signature as a biller would, and can be told to fail. */
function receiver(): { url: () => string; events: { body: string; signature: string; valid: boolean }[]; failNext: number; server: Server; secret: string } {
  const state = {
    events: [] as { body: string; signature: string; valid: boolean }[],
    failNext: 0,
    secret: '',
    server: createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const signature = String(req.headers['citypay-signature'] ?? '');
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
        const expected = m ? createHmac('sha256', state.secret).update(`${m[1]}.${body}`).digest() : Buffer.alloc(32);
        const valid = !!m && timingSafeEqual(expected, Buffer.from(m[2], 'hex')) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
        state.events.push({ body, signature, valid });
        if (state.failNext > 0) {
          state.failNext--;
          res.writeHead(500).end('try later');
        } else res.writeHead(200).end('ok');
      });
    }),
    url: () => `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/events`,
  };
  return state;
}

describe('biller webhooks and auto-pay', () => {
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;
  const hook = receiver();

  beforeAll(async () => {
    await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', r));
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    admin = await adminToken(app);
    biller = await makeBiller(app, admin, { billerCategory: 'HEATING' });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => hook.server.close(r));
  });

  it('delivers each successful payment as a signed event, retried after a failure, with a delivery log', async () => {
    const registered = await app.request('PUT', `/v1/billers/${biller.billerId}/webhook`, { token: biller.staff.accessToken, body: { url: hook.url() } });
    expect(registered.status).toBe(200);
    expect(registered.body.secret).toMatch(/^whsec_/);
    hook.secret = registered.body.secret;
    expectError(await app.request('PUT', `/v1/billers/${biller.billerId}/webhook`, { token: biller.staff.accessToken, body: { url: 'ftp://x' } }), 400, 'VALIDATION_FAILED');

    hook.failNext = 1;
    await loadBills(app, biller, [bill('H-1', 900)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 900);
    const paid = await payBill(app, user, (await fetchBill(app, user, biller, 'H-1')).id, { method: 'WALLET' });
    expect(paid.status).toBe(201);
    await eventually(async () => hook.events.length >= 2, 20_000, 'the retried delivery');
    expect(hook.events.every((e) => e.valid)).toBe(true);
    const event = JSON.parse(hook.events[1].body);
    expect(event).toMatchObject({ type: 'bill_payment.succeeded', data: { paymentId: paid.body.payment.id, customerRef: 'H-1', amount: 900, receiptNo: paid.body.payment.receiptNo } });
    expect(hook.events[0].body).toBe(hook.events[1].body);
    // a forged body does not verify with the secret
    const [, t, v1] = /^t=(\d+),v1=(.+)$/.exec(hook.events[1].signature)!;
    expect(createHmac('sha256', hook.secret).update(`${t}.${hook.events[1].body.replace('900', '9000')}`).digest('hex')).not.toBe(v1);

    const log = await eventually(async () => {
      const res = await app.request('GET', `/v1/billers/${biller.billerId}/webhook-deliveries`, { token: biller.staff.accessToken });
      return res.body.items[0]?.status === 'DELIVERED' ? res.body : undefined;
    }, 10_000, 'the delivery log');
    expect(log.items[0]).toMatchObject({ eventType: 'bill_payment.succeeded', status: 'DELIVERED', attempts: 2, lastStatusCode: 200 });
  });

  it('auto-pays a new bill within the cap from the wallet, once; records a bill over the cap and a short wallet', async () => {
    const user = await verifiedUser(app);
    await credit(app, admin, user, 1000);
    const link = await app.request('POST', '/v1/me/biller-accounts', { token: user.accessToken, body: { billerId: biller.billerId, customerRef: 'AUTO-1' } });
    const on = await app.request('PUT', `/v1/me/biller-accounts/${link.body.id}/auto-pay`, { token: user.accessToken, body: { maxAmount: 800 } });
    expect(on.status).toBe(200);
    expect(on.body.autoPay).toEqual({ maxAmount: 800, currency: 'CNY' });

    await loadBills(app, biller, [bill('AUTO-1', 600, { period: '2026-10' }), bill('AUTO-1', 900, { period: '2026-11' })]);
    const attempts = async () => (await app.request('GET', `/v1/me/biller-accounts/${link.body.id}/auto-pay/attempts`, { token: user.accessToken })).body.items;
    const settled = await eventually(async () => {
      const items = await attempts();
      return items.length === 2 && items.every((a: { status: string }) => a.status !== 'PENDING') ? items : undefined;
    }, 20_000, 'auto-pay');
    const byPeriod = Object.fromEntries(settled.map((a: { period: string }) => [a.period, a]));
    expect(byPeriod['2026-10']).toMatchObject({ status: 'PAID', paymentId: expect.any(String) });
    expect(byPeriod['2026-11']).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/^CAP_EXCEEDED/) });
    expect(await balance(app, user)).toBe(400);

    // the same bill loaded again: nothing is paid twice
    await loadBills(app, biller, [bill('AUTO-1', 600, { period: '2026-10' })]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await balance(app, user)).toBe(400);

    // a new bill within the cap, but the wallet is short: recorded, not paid
    await loadBills(app, biller, [bill('AUTO-1', 700, { period: '2026-12' })]);
    const short = await eventually(async () => (await attempts()).find((a: { period: string; status: string }) => a.period === '2026-12' && a.status !== 'PENDING'), 20_000, 'the short wallet');
    expect(short).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/^INSUFFICIENT_FUNDS/) });
    expect(await balance(app, user)).toBe(400);
    const other = await verifiedUser(app);
    expectError(await app.request('GET', `/v1/me/biller-accounts/${link.body.id}/auto-pay/attempts`, { token: other.accessToken }), 404, 'NOT_FOUND');
    expectError(await app.request('PUT', `/v1/me/biller-accounts/${link.body.id}/auto-pay`, { token: other.accessToken, body: { maxAmount: 1 } }), 404, 'NOT_FOUND');
  });
});
