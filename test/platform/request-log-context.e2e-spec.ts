import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { groupCommitted, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser, verifiedUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller } from '../support/billing.js';
import { idemKey } from '../support/payments.js';

/**
 * Every log line of a payment carries its request id (the AsyncLocalStorage
 * context survives every await down to the SQL), while health checks, which
 * skip that context and their access line for speed, still answer their id.
 */
describe('request id in the log lines of a payment', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    // trace: every SQL statement is logged, so a payment writes many lines deep in its async path
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'trace', PAYMENT_QUERY_INTERVAL_MS: '3600000' });
    admin = await adminToken(app);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('binds each of two concurrent payments\' SQL lines and access line to its own request id', async () => {
    const biller = await makeBiller(app, admin, {});
    await loadBills(app, biller, [bill('CTX-1', 1_000), bill('CTX-2', 2_000)]);
    const users = [await verifiedUser(app), await verifiedUser(app)];
    for (const u of users) await credit(app, admin, u, 5_000);
    const bills = [await fetchBill(app, users[0], biller, 'CTX-1'), await fetchBill(app, users[1], biller, 'CTX-2')];
    const ids = ['payment-ctx-0001', 'payment-ctx-0002'];
    const before = app.logs.length;

    const results = await Promise.all(
      [0, 1].map((i) =>
        app.request('POST', `/v1/bills/${bills[i].id}/payments`, {
          token: users[i].accessToken,
          headers: { 'idempotency-key': idemKey(), 'x-request-id': ids[i] },
          body: { method: 'WALLET' },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    expect(results.map((r) => r.headers.get('x-request-id'))).toEqual(ids);
    await new Promise((r) => setTimeout(r, 50)); // the access line is written on the response's end

    const lines = app.logs.slice(before);
    for (const id of ids) {
      const mine = lines.filter((l) => l.reqId === id);
      const sql = mine.filter((l) => l.context === 'SQL');
      // the payment's statement (many awaits after the request began) carries its id; how many other
      // lines it gets (the transaction's START and COMMIT) depends on whether it sent its batch's statement
      expect(sql.some((l) => /\b(INSERT|UPDATE|SELECT)\b/i.test(String(l.msg)) && /billing\./.test(String(l.msg)))).toBe(true);
      expect(mine.filter((l) => l.msg === 'request completed')).toEqual([
        expect.objectContaining({ req: { method: 'POST', url: `/v1/bills/${bills[ids.indexOf(id)].id}/payments` }, res: { statusCode: 201 } }),
      ]);
    }
  });

  it("logs a statement shared by several payments (group commit) once under each payment's own request id", async () => {
    const biller = await makeBiller(app, admin, {});
    const n = 12;
    const refs = Array.from({ length: n }, (_, i) => `SHARED-${i}`);
    await loadBills(app, biller, refs.map((ref) => bill(ref, 100)));
    const users = await Promise.all(refs.map(() => verifiedUser(app)));
    for (const u of users) await credit(app, admin, u, 1_000);
    const bills = await Promise.all(refs.map((ref, i) => fetchBill(app, users[i]!, biller, ref)));
    const ids = refs.map((_, i) => `shared-ctx-${String(i).padStart(4, '0')}`);
    // every payer pays its bill at once, each request with its own id
    const payAll = async (toPay: { id: string }[], requestIds: string[], method: string) => {
      const results = await Promise.all(
        toPay.map((b, i) =>
          app.request('POST', `/v1/bills/${b.id}/payments`, {
            token: users[i]!.accessToken,
            headers: { 'idempotency-key': idemKey(), 'x-request-id': requestIds[i]! },
            body: { method },
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(requestIds.map(() => 201));
    };
    const before = app.logs.length;
    const sent = await groupCommitted(app, 'billing_pay_from_wallet');
    await payAll(bills, ids, 'WALLET');
    const after = await groupCommitted(app, 'billing_pay_from_wallet');
    expect(after.requests - sent.requests).toBe(n);

    const lines = app.logs.slice(before).filter((l) => l.context === 'SQL');
    for (const id of ids) {
      const mine = lines.filter((l) => l.reqId === id).map((l) => String(l.msg));
      // its payment, whichever requests' statement carried it (the key was claimed by that statement)
      expect(mine.filter((msg) => /billing\.pay_from_wallet_batch\(/.test(msg))).toHaveLength(1);
      expect(mine.filter((msg) => /common\.idempotency_claim_batch\(/.test(msg))).toHaveLength(0);
    }

    // requests that claim their key before they run (a provider's payment): the claims' shared statement, once under each id
    const providerRefs = refs.map((ref) => `${ref}-P`);
    await loadBills(app, biller, providerRefs.map((ref) => bill(ref, 100)));
    const providerBills = await Promise.all(providerRefs.map((ref, i) => fetchBill(app, users[i]!, biller, ref)));
    const claimIds = ids.map((id) => `${id}-claim`);
    const claimsBefore = app.logs.length;
    await payAll(providerBills, claimIds, 'ALIPAY');
    const claimLines = app.logs.slice(claimsBefore).filter((l) => l.context === 'SQL');
    for (const id of claimIds) {
      expect(claimLines.filter((l) => l.reqId === id && /common\.idempotency_claim_batch\(/.test(String(l.msg)))).toHaveLength(1);
    }
  });

  it("logs the check of several tokens at once (one statement) once under each checking request's id", async () => {
    // registered, never used: each token's first request loads its caller from the database, all of them at once
    const users = await Promise.all(Array.from({ length: 10 }, () => registerUser(app)));
    const ids = users.map((_, i) => `callers-ctx-${String(i).padStart(4, '0')}`);
    const before = app.logs.length;
    const results = await Promise.all(users.map((u, i) => app.request('GET', '/v1/me', { token: u.accessToken, headers: { 'x-request-id': ids[i]! } })));
    expect(results.map((r) => r.body.id)).toEqual(users.map((u) => u.id));
    const lines = app.logs.slice(before).filter((l) => l.context === 'SQL' && /FROM unnest\(\$1::uuid\[\], \$2::uuid\[\]\) AS t\(user_id, session_id\)/.test(String(l.msg)));
    // each request's check logged once, under its own id, whichever request's statement carried its token
    for (const id of ids) expect(lines.filter((l) => l.reqId === id)).toHaveLength(1);
    expect(lines).toHaveLength(ids.length);
  });

  it('answers health checks with a request id, without an access line unless they fail', async () => {
    const before = app.logs.length;
    const res = await app.request('GET', '/health/live', { headers: { 'x-request-id': 'health-ctx-0001' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('health-ctx-0001');
    const notFound = await app.request('GET', '/health/nothing-here', { headers: { 'x-request-id': 'health-ctx-0002' } });
    expect(notFound.status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    const lines = app.logs.slice(before).filter((l) => l.msg === 'request completed');
    expect(lines.map((l) => l.reqId)).toEqual(['health-ctx-0002']);
  });
});
