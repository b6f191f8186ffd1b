import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { LedgerService, verifyLedger } from '@app/ledger';
import { RefundsService } from '@app/payments';
import { startApp, expectError, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser, verifiedUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';
import { balance, eventually, idemKey, pay, shanghaiToday } from '../support/payments.js';

describe('paying bills', () => {
  let app: TestApp;
  let admin: string;
  let exact: TestBiller;
  let partial: TestBiller;
  let advance: TestBiller;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000' });
    admin = await adminToken(app);
    exact = await makeBiller(app, admin, { name: '国网天津市电力公司' });
    partial = await makeBiller(app, admin, { billerCategory: 'GAS', billerAllowsPartial: true });
    advance = await makeBiller(app, admin, { billerCategory: 'BROADBAND', billerAllowsAdvance: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('pays from the wallet at once, with a receipt; the payer (only) reads it', async () => {
    await loadBills(app, exact, [bill('E-1', 12_345)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 20_000);
    const b = await fetchBill(app, user, exact, 'E-1');
    const res = await payBill(app, user, b.id, { method: 'WALLET' });
    expect(res.status).toBe(201);
    expect(res.body.payment).toMatchObject({ status: 'SUCCEEDED', amount: 12_345, currency: 'CNY', method: 'WALLET', billId: b.id, receiptNo: expect.stringMatching(/^BP\d{8}-\d{8}$/) });
    expect(res.body.bill).toMatchObject({ status: 'PAID', paidAmount: 12_345, outstanding: 0 });
    expect(res.body.checkout).toBeUndefined();
    expect(await balance(app, user)).toBe(20_000 - 12_345);

    const read = await app.request('GET', `/v1/payments/${res.body.payment.id}`, { token: user.accessToken });
    expect(read.status).toBe(200);
    expect(read.body.receipt).toEqual({
      receiptNo: res.body.payment.receiptNo,
      billerName: '国网天津市电力公司',
      customerRef: 'E-1',
      period: '2026-11',
      amount: 12_345,
      currency: 'CNY',
      paidAt: expect.any(String),
    });
    const other = await verifiedUser(app);
    expectError(await app.request('GET', `/v1/payments/${res.body.payment.id}`, { token: other.accessToken }), 404, 'NOT_FOUND');
    expectError(await app.request('GET', '/v1/payments/not-an-id', { token: user.accessToken }), 404, 'NOT_FOUND');
  });

  it('applies the amount rules with the codes of api.md', async () => {
    await loadBills(app, exact, [bill('E-2', 1000)]);
    await loadBills(app, partial, [bill('G-1', 1000)]);
    await loadBills(app, advance, [bill('B-1', 1000)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 10_000);
    const e2 = await fetchBill(app, user, exact, 'E-2');
    expectError(await payBill(app, user, e2.id, { method: 'WALLET', amount: 1001 }), 422, 'OVERPAYMENT');
    expectError(await payBill(app, user, e2.id, { method: 'WALLET', amount: 999 }), 422, 'PARTIAL_NOT_ALLOWED');
    expectError(await payBill(app, user, e2.id, { method: 'WALLET', amount: 0 }), 400, 'VALIDATION_FAILED');
    expectError(await payBill(app, user, e2.id, { method: 'CASH' }), 400, 'VALIDATION_FAILED');

    const g1 = await fetchBill(app, user, partial, 'G-1');
    const part = await payBill(app, user, g1.id, { method: 'WALLET', amount: 400 });
    expect(part.body.bill).toMatchObject({ status: 'PARTIALLY_PAID', paidAmount: 400, outstanding: 600 });
    expectError(await payBill(app, user, g1.id, { method: 'WALLET', amount: 601 }), 422, 'OVERPAYMENT');
    expect((await payBill(app, user, g1.id, { method: 'WALLET' })).body.bill).toMatchObject({ status: 'PAID', outstanding: 0 });
    expectError(await payBill(app, user, g1.id, { method: 'WALLET' }), 409, 'BILL_ALREADY_PAID');

    const b1 = await fetchBill(app, user, advance, 'B-1');
    expectError(await payBill(app, user, b1.id, { method: 'WALLET', amount: 500 }), 422, 'PARTIAL_NOT_ALLOWED');
    const ahead = await payBill(app, user, b1.id, { method: 'WALLET', amount: 3000 });
    expect(ahead.body.bill).toMatchObject({ status: 'PAID', paidAmount: 3000, outstanding: 0 });
  });

  it('refuses a short wallet with 402 and changes nothing', async () => {
    await loadBills(app, exact, [bill('E-3', 5000)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 4999);
    const b = await fetchBill(app, user, exact, 'E-3');
    expectError(await payBill(app, user, b.id, { method: 'WALLET' }), 402, 'INSUFFICIENT_FUNDS');
    expect(await fetchBill(app, user, exact, 'E-3')).toMatchObject({ paidAmount: 0, status: 'UNPAID' });
    expect(await balance(app, user)).toBe(4999);
  });

  it('ten parallel wallet payments of one bill: exactly one succeeds, the others 409', async () => {
    await loadBills(app, exact, [bill('E-RACE', 800)]);
    const payers = await Promise.all(Array.from({ length: 10 }, () => verifiedUser(app)));
    for (const p of payers) await credit(app, admin, p, 1000);
    const b = await fetchBill(app, payers[0], exact, 'E-RACE');
    const results = await Promise.all(payers.map((p) => payBill(app, p, b.id, { method: 'WALLET' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expectError(r, 409, 'BILL_ALREADY_PAID');
    expect(await fetchBill(app, payers[0], exact, 'E-RACE')).toMatchObject({ paidAmount: 800, status: 'PAID' });
    const balances = await Promise.all(payers.map((p) => balance(app, p)));
    expect(balances.sort()).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 200].sort());
  });

  it('is idempotent per key and needs KYC level 1', async () => {
    await loadBills(app, exact, [bill('E-IDEM', 700)]);
    const user = await verifiedUser(app);
    await credit(app, admin, user, 700);
    const b = await fetchBill(app, user, exact, 'E-IDEM');
    const key = idemKey();
    const first = await payBill(app, user, b.id, { method: 'WALLET' }, key);
    const again = await payBill(app, user, b.id, { method: 'WALLET' }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await balance(app, user)).toBe(0);
    const unverified = await registerUser(app);
    expectError(await payBill(app, unverified, b.id, { method: 'WALLET' }), 403, 'KYC_REQUIRED');
  });

  it('pays through a provider: PENDING with a checkout, SUCCEEDED with a receipt once the provider confirms', async () => {
    await loadBills(app, exact, [bill('E-PROV', 2600)]);
    const user = await verifiedUser(app);
    const b = await fetchBill(app, user, exact, 'E-PROV');
    const res = await payBill(app, user, b.id, { method: 'WECHAT_PAY' });
    expect(res.status).toBe(201);
    expect(res.body.payment).toMatchObject({ status: 'PENDING', method: 'WECHAT_PAY', amount: 2600 });
    expect(res.body.payment.receiptNo).toBeUndefined();
    expect(res.body.checkout).toMatchObject({ providerTradeId: expect.any(String), qrPayload: expect.stringMatching(/^weixin:/) });
    expect(res.body.bill).toMatchObject({ status: 'UNPAID' });
    await pay(app, 'WECHAT_PAY', res.body.checkout.providerTradeId);
    const read = await app.request('GET', `/v1/payments/${res.body.payment.id}`, { token: user.accessToken });
    expect(read.body).toMatchObject({ status: 'SUCCEEDED', receipt: { receiptNo: expect.stringMatching(/^BP/), amount: 2600 } });
    expect(await fetchBill(app, user, exact, 'E-PROV')).toMatchObject({ status: 'PAID' });
  });

  it('refunds, through the provider, a provider payment completing after someone else paid the bill; it shows REFUNDED', async () => {
    await loadBills(app, exact, [bill('E-LATE', 1500)]);
    const slow = await verifiedUser(app);
    const fast = await verifiedUser(app);
    await credit(app, admin, fast, 1500);
    const b = await fetchBill(app, slow, exact, 'E-LATE');
    const pending = await payBill(app, slow, b.id, { method: 'ALIPAY' });
    expect(pending.body.payment.status).toBe('PENDING');
    expect((await payBill(app, fast, b.id, { method: 'WALLET' })).status).toBe(201);
    await pay(app, 'ALIPAY', pending.body.checkout.providerTradeId);
    const read = await app.request('GET', `/v1/payments/${pending.body.payment.id}`, { token: slow.accessToken });
    expect(read.body).toMatchObject({ status: 'REFUNDED', receipt: null });
    const refunds = app.api.app.get(RefundsService);
    const dataSource = app.api.app.get(DataSource);
    const [{ payment_order_id: orderId }] = (await dataSource.query(`SELECT payment_order_id FROM billing.bill_payments WHERE id = $1`, [pending.body.payment.id])) as {
      payment_order_id: string;
    }[];
    await eventually(async () => (await refunds.forOrder(orderId))[0]?.status === 'SUCCEEDED', 15_000, 'the refund');
    const trade = await app.request('GET', `/sandbox/ALIPAY/trades/${pending.body.checkout.providerTradeId}`);
    expect(trade.body).toMatchObject({ status: 'PAID', refunded: 1500 });
    expect(await fetchBill(app, slow, exact, 'E-LATE')).toMatchObject({ paidAmount: 1500, status: 'PAID' });
  });

  it('a provider payment of the default amount lands only if it still fits: after a partial payment meanwhile it is refunded, not an advance', async () => {
    const flexible = await makeBiller(app, admin, { billerCategory: 'CABLE_TV', billerAllowsPartial: true, billerAllowsAdvance: true });
    await loadBills(app, flexible, [bill('F-1', 1000)]);
    const slow = await verifiedUser(app);
    const quick = await verifiedUser(app);
    await credit(app, admin, quick, 300);
    const b = await fetchBill(app, slow, flexible, 'F-1');
    const pending = await payBill(app, slow, b.id, { method: 'UNIONPAY' });
    expect(pending.body.payment).toMatchObject({ status: 'PENDING', amount: 1000 });
    expect((await payBill(app, quick, b.id, { method: 'WALLET', amount: 300 })).status).toBe(201);
    await pay(app, 'UNIONPAY', pending.body.checkout.providerTradeId);
    expect((await app.request('GET', `/v1/payments/${pending.body.payment.id}`, { token: slow.accessToken })).body.status).toBe('REFUNDED');
    expect(await fetchBill(app, slow, flexible, 'F-1')).toMatchObject({ paidAmount: 300, outstanding: 700 });
    // the default amount from the wallet is what is outstanding when it lands
    await credit(app, admin, slow, 5000);
    const rest = await payBill(app, slow, b.id, { method: 'WALLET' });
    expect(rest.body.payment.amount).toBe(700);
    expect(rest.body.bill).toMatchObject({ paidAmount: 1000, status: 'PAID' });
  });

  it("settlement lists every succeeded payment of the Shanghai day; count and total equal the ledger's credits to the receivable", async () => {
    const date = shanghaiToday();
    const res = await app.request('GET', `/v1/billers/${exact.billerId}/settlements?date=${date}`, { token: exact.staff.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ date, timeZone: 'Asia/Shanghai' });
    const ledger = app.api.app.get(LedgerService);
    const dataSource = app.api.app.get(DataSource);
    const [receivable] = await ledger.accountsOf('ORGANIZATION', exact.billerId, 'RECEIVABLE');
    const [{ n, sum }] = (await dataSource.query(
      `SELECT count(*)::int AS n, COALESCE(sum(amount), 0)::bigint::text AS sum FROM ledger.postings
        WHERE account_id = $1 AND created_at >= $2::date::timestamp AT TIME ZONE 'Asia/Shanghai'
          AND created_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'`,
      [receivable.id, date],
    )) as { n: number; sum: string }[];
    expect(res.body.count).toBe(n);
    expect(res.body.total).toEqual({ amount: Number(sum), currency: 'CNY' });
    expect(res.body.count).toBeGreaterThanOrEqual(5);
    expect(res.body.items.reduce((s: number, i: { amount: number }) => s + i.amount, 0)).toBe(Number(sum));
    expect((await ledger.balance(receivable.id)).toJSON().amount).toBe(Number(sum));
    expectError(await app.request('GET', `/v1/billers/${exact.billerId}/settlements?date=2026-02-30`, { token: exact.staff.accessToken }), 400, 'VALIDATION_FAILED');
    expect((await verifyLedger(dataSource)).ok).toBe(true);
  });
});
