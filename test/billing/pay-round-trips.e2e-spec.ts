import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { PayBillService } from '../../libs/billing/src/pay-bill.service.js';
import { expectError, groupCommitted, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import type { TestUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';
import { holdKey, storedKey } from '../support/idempotency.js';
import { balance, idemKey } from '../support/payments.js';

/**
 * Issue 16: a wallet bill payment is at most 3 round trips to PostgreSQL
 * (today 1: billing.pay_from_wallet_batch() as a statement of its own that
 * claims the idempotency key, pays and stores the response). Every query the
 * app's pool runs during one payment is recorded, so a path that goes back
 * to BEGIN ... COMMIT or to a separate completion fails here.
 */
describe('a wallet bill payment, round trips and response', () => {
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;
  let partialBiller: TestBiller;
  let recording: string[] | undefined;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    admin = await adminToken(app);
    biller = await makeBiller(app, admin);
    partialBiller = await makeBiller(app, admin, { billerAllowsPartial: true });
    // every client of the app's pool (not pg-boss's, nor the idempotency owner session) records its queries while `recording` is set
    type Connect = (callback?: (err: Error | undefined, client: PoolClient, done: () => void) => void) => unknown;
    const pool = (app.api.app.get(DataSource).driver as unknown as { master: { connect: Connect } }).master;
    const connect = pool.connect.bind(pool);
    const wrapped = new WeakSet<object>();
    pool.connect = (callback) => {
      const wrap = (client: PoolClient) => {
        if (client && !wrapped.has(client)) {
          wrapped.add(client);
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
            const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text ?? '';
            recording?.push(text.replace(/\s+/g, ' ').trim());
            return query(...args);
          };
        }
        return client;
      };
      if (callback) return connect((err, client, done) => callback(err, wrap(client), done));
      return (connect() as Promise<PoolClient>).then(wrap);
    };
  });
  afterAll(async () => {
    await app?.close();
  });

  /**
   * The queries of one request, less the guard's caller lookup (identity's
   * user, roles and session: once per caller per CALLER_TTL_MS, not per
   * payment; at most one is allowed here).
   */
  async function counted<T>(work: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
    const all: string[] = [];
    recording = all;
    let result: T;
    try {
      result = await work();
    } finally {
      recording = undefined;
    }
    const callerLookups = all.filter((q) => /\bidentity\./.test(q));
    expect(callerLookups.length).toBeLessThanOrEqual(1);
    // the webhook relay polls the outbox on the same pool every second: its queries are not the request's
    const relayPolls = all.filter((q) => /notifications\.webhook_deliveries/.test(q));
    return { result, queries: all.filter((q) => !callerLookups.includes(q) && !relayPolls.includes(q)) };
  }

  async function payer(amount: number): Promise<TestUser> {
    const user = await verifiedUser(app);
    await credit(app, admin, user, amount);
    return user;
  }

  it('pays in 1 round trip (one statement claims the key, pays, stores the response), with no BEGIN/COMMIT; refusals and replays stay within 3', async () => {
    await loadBills(app, biller, [bill('RT-1', 1000), bill('RT-2', 1000)]);
    const user = await payer(5000);
    const b1 = await fetchBill(app, user, biller, 'RT-1');
    const b2 = await fetchBill(app, user, biller, 'RT-2');
    await payBill(app, user, b1.id, { method: 'WALLET' }); // warms the caller cache and the pool

    const key = idemKey();
    const paid = await counted(() => payBill(app, user, b2.id, { method: 'WALLET' }, key));
    expect(paid.result.status).toBe(201);
    expect(paid.queries.filter((q) => /^(BEGIN|START|COMMIT|ROLLBACK)/i.test(q))).toEqual([]);
    expect(paid.queries.filter((q) => /pay_from_wallet/.test(q))).toHaveLength(1);
    expect(paid.queries.filter((q) => /common\.idempotency_claim_batch\(/.test(q))).toHaveLength(0); // the key was claimed by the payment's statement
    // the payer's live streams are woken after the commit by a NOTIFY shared with the payments
    // committed meanwhile (NotificationsService.announce): not on the payment's path, at most one
    const wakes = paid.queries.filter((q) => /pg_notify/.test(q));
    expect(wakes.length).toBeLessThanOrEqual(1);
    expect(paid.queries.filter((q) => !wakes.includes(q))).toHaveLength(1);

    // the statement finds the key (IK100, paying nothing), then the ordinary claim finds it completed
    const replay = await counted(() => payBill(app, user, b2.id, { method: 'WALLET' }, key));
    expect(replay.result.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.result.body).toEqual(paid.result.body);
    expect(replay.queries.length).toBeLessThanOrEqual(3);

    const refused = await counted(() => payBill(app, user, b2.id, { method: 'WALLET' }));
    expectError(refused.result, 409, 'BILL_ALREADY_PAID');
    expect(refused.queries.length).toBeLessThanOrEqual(3); // the refused statement, the claim, the stored refusal
    expect(await balance(app, user)).toBe(3000);
  });

  it('pays a biller with a webhook in the same 1 round trip: the statement writes its event, once', async () => {
    const hooked = await makeBiller(app, admin);
    const registered = await app.request('PUT', `/v1/billers/${hooked.billerId}/webhook`, { token: hooked.staff.accessToken, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(registered.status).toBe(200);
    await loadBills(app, hooked, [bill('WH-1', 700), bill('WH-2', 300)]);
    const user = await payer(1000);
    const first = await fetchBill(app, user, hooked, 'WH-1');
    const second = await fetchBill(app, user, hooked, 'WH-2');
    await payBill(app, user, first.id, { method: 'WALLET' }); // warms the caller cache

    const paid = await counted(() => payBill(app, user, second.id, { method: 'WALLET' }));
    expect(paid.result.status).toBe(201);
    // the webhook relay polls the outbox on the same pool: its queries are not the payment's
    const own = paid.queries.filter((q) => !/pg_notify/.test(q) && !/webhook_deliveries/.test(q));
    expect(own.filter((q) => /^(BEGIN|START|COMMIT|ROLLBACK)/i.test(q))).toEqual([]);
    expect(own).toHaveLength(1);

    const log = await app.request('GET', `/v1/billers/${hooked.billerId}/webhook-deliveries`, { token: hooked.staff.accessToken });
    const events = (log.body.items as { eventType: string }[]).filter((d) => d.eventType === 'bill_payment.succeeded');
    expect(events).toHaveLength(2); // one per payment
    expect(await balance(app, user)).toBe(0);
  });

  it('answers, and replays, what the API shows of the payment and the bill afterwards (the SQL views equal the TypeScript ones)', async () => {
    const names = ['张三丰', 'Wang Xiaoming', '𠮷野家', 'X', null];
    await loadBills(
      app,
      partialBiller,
      names.map((customerName, i) => bill(`VIEW-${i}`, 1000 + i, { customerName })),
    );
    const user = await payer(10_000);
    for (const [i] of names.entries()) {
      const before = await fetchBill(app, user, partialBiller, `VIEW-${i}`);
      const key = idemKey();
      const res = await payBill(app, user, before.id, { method: 'WALLET', amount: 400 }, key);
      expect(res.status).toBe(201);
      const after = await fetchBill(app, user, partialBiller, `VIEW-${i}`);
      expect(after.status).toBe('PARTIALLY_PAID');
      expect(res.body.bill).toEqual(after);
      const read = await app.request('GET', `/v1/payments/${res.body.payment.id}`, { token: user.accessToken });
      const { receipt: _receipt, ...payment } = read.body;
      expect(res.body.payment).toEqual(payment);
      expect(res.body.checkout).toBeUndefined();
      const again = await payBill(app, user, before.id, { method: 'WALLET', amount: 400 }, key);
      expect(again.body).toEqual(res.body);
    }
    // the rest of one, to PAID
    const last = await fetchBill(app, user, partialBiller, 'VIEW-0');
    const rest = await payBill(app, user, last.id, { method: 'WALLET' });
    expect(rest.body.bill).toEqual(await fetchBill(app, user, partialBiller, 'VIEW-0'));
    expect(rest.body.bill).toMatchObject({ status: 'PAID', outstanding: 0 });
  });

  it('payments that arrive together share a statement and a commit; each answers its own refusal, which changes nothing', async () => {
    const service = app.api.app.get(PayBillService);
    const refs = ['GC-1', 'GC-2', 'GC-3', 'GC-4', 'GC-5', 'GC-6'];
    await loadBills(app, partialBiller, refs.map((ref) => bill(ref, 1000)));
    const users = await Promise.all([payer(5000), payer(5000), payer(5000), payer(500), payer(5000), payer(5000)]);
    const bills = await Promise.all(refs.map((ref, i) => fetchBill(app, users[i]!, partialBiller, ref)));
    await service.pay(users[2]!.id, bills[2].id, { method: 'WALLET' }); // paid before: refused below
    const work: { user: TestUser; billId: string; amount?: number; expect: string }[] = [
      // the first goes at once, alone; the rest wait for its statement and go together
      { user: users[0]!, billId: bills[0].id, expect: 'SUCCEEDED' },
      { user: users[1]!, billId: bills[1].id, amount: 300, expect: 'SUCCEEDED' },
      { user: users[2]!, billId: bills[2].id, expect: 'BILL_ALREADY_PAID' },
      { user: users[3]!, billId: bills[3].id, expect: 'INSUFFICIENT_FUNDS' },
      { user: users[4]!, billId: bills[4].id, amount: 1001, expect: 'OVERPAYMENT (1000)' },
      { user: users[5]!, billId: bills[5].id, amount: 600, expect: 'SUCCEEDED' },
      { user: users[1]!, billId: bills[1].id, amount: 700, expect: 'SUCCEEDED' },
      { user: users[0]!, billId: randomUUID(), expect: 'NOT_FOUND' },
    ];
    const before = await groupCommitted(app, 'billing_pay_from_wallet');
    const outcomes = await Promise.all(
      work.map((w) =>
        service.pay(w.user.id, w.billId, { method: 'WALLET', ...(w.amount ? { amount: w.amount } : {}) }).then(
          (r) => r.payment.status as string,
          (err: { code?: string; message?: string }) => (err.code === 'OVERPAYMENT' ? `OVERPAYMENT (${/\((\d+)\)/.exec(err.message ?? '')?.[1]})` : (err.code ?? String(err))),
        ),
      ),
    );
    expect(outcomes).toEqual(work.map((w) => w.expect));
    const after = await groupCommitted(app, 'billing_pay_from_wallet');
    expect(after.requests - before.requests).toBe(work.length);
    expect(after.statements - before.statements).toBeLessThan(work.length);
    // a refusal in a statement undoes its set attempt: each payment went on its own
    expect(after.setWise - before.setWise).toBe(0);
    expect(after.oneByOne - before.oneByOne).toBeGreaterThanOrEqual(1);

    // what the refused ones would have moved did not move
    expect((await Promise.all(users.map((u) => balance(app, u))))).toEqual([4000, 4000, 4000, 500, 5000, 4400]);
    expect((await Promise.all(refs.map((ref, i) => fetchBill(app, users[i]!, partialBiller, ref)))).map((b) => b.status)).toEqual(['PAID', 'PAID', 'PAID', 'UNPAID', 'UNPAID', 'PARTIALLY_PAID']);
  });

  it('payments that arrive together with none refused go as one set: same answers, ledger and events as each on its own', async () => {
    const service = app.api.app.get(PayBillService);
    const hooked = await makeBiller(app, admin, { billerAllowsPartial: true });
    const registered = await app.request('PUT', `/v1/billers/${hooked.billerId}/webhook`, { token: hooked.staff.accessToken, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(registered.status).toBe(200);
    const refs = ['SET-0', 'SET-1', 'SET-2', 'SET-3', 'SET-4', 'SET-5'];
    await loadBills(app, hooked, refs.map((ref, i) => bill(ref, 1000 + i)));
    await loadBills(app, biller, [bill('SET-FIRST', 100)]);
    const [a, b, c] = await Promise.all([payer(5000), payer(5000), payer(1500)]);
    const bills = await Promise.all(refs.map((ref) => fetchBill(app, a!, hooked, ref)));
    const first = await fetchBill(app, a!, biller, 'SET-FIRST');
    const work: { user: TestUser; billId: string; amount?: number }[] = [
      { user: a!, billId: first.id }, // goes at once, alone; the rest wait for it and go together
      { user: a!, billId: bills[0].id },
      { user: b!, billId: bills[1].id, amount: 400 },
      { user: c!, billId: bills[2].id, amount: 700 },
      { user: a!, billId: bills[3].id, amount: 1 },
      { user: b!, billId: bills[4].id },
      { user: c!, billId: bills[5].id, amount: 800 }, // c's two payments: 1,500 of its 1,500
    ];
    const before = await groupCommitted(app, 'billing_pay_from_wallet');
    const results = await Promise.all(work.map((w) => service.pay(w.user.id, w.billId, { method: 'WALLET', ...(w.amount ? { amount: w.amount } : {}) })));
    const after = await groupCommitted(app, 'billing_pay_from_wallet');
    expect(after.requests - before.requests).toBe(work.length);
    expect(after.setWise - before.setWise).toBeGreaterThanOrEqual(1);

    expect(results.map((r) => r.payment.amount)).toEqual([100, 1000, 400, 700, 1, 1004, 800]);
    for (const [i, w] of work.entries()) {
      const res = results[i]!;
      expect(res.payment).toMatchObject({ status: 'SUCCEEDED', method: 'WALLET', billId: w.billId, currency: 'CNY' });
      // the response is what the API shows afterwards
      const read = await app.request('GET', `/v1/payments/${res.payment.id}`, { token: w.user.accessToken });
      const { receipt: _receipt, ...payment } = read.body;
      expect(res.payment).toEqual(payment);
    }
    expect(new Set(results.map((r) => r.payment.receiptNo)).size).toBe(work.length);
    expect(await Promise.all(refs.map((ref) => fetchBill(app, a!, hooked, ref)))).toEqual(results.slice(1).map((r) => r.bill));
    expect(await Promise.all([balance(app, a!), balance(app, b!), balance(app, c!)])).toEqual([5000 - 1101, 5000 - 1404, 0]);
    // one BILL_PAID per payment, one webhook event per payment to the hooked biller
    const ds = app.api.app.get(DataSource);
    const ids = results.map((r) => r.payment.id);
    const [{ notified }] = (await ds.query(`SELECT count(*)::int AS notified FROM notifications.notifications WHERE type = 'BILL_PAID' AND key = ANY ($1)`, [ids])) as { notified: number }[];
    expect(notified).toBe(work.length);
    const log = await app.request('GET', `/v1/billers/${hooked.billerId}/webhook-deliveries`, { token: hooked.staff.accessToken });
    expect((log.body.items as { eventType: string }[]).filter((d) => d.eventType === 'bill_payment.succeeded')).toHaveLength(refs.length);
  });

  it('a fault of the set path that is no refusal is logged, and the batch is still paid, one by one', async () => {
    const service = app.api.app.get(PayBillService);
    const ds = app.api.app.get(DataSource);
    // a fault only a statement of several rows meets (as a bug of the set path would be): each payment alone passes
    await ds.query(`CREATE FUNCTION billing.test_no_sets() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT count(*) FROM added WHERE added.data->>'customerRef' LIKE 'FAULT-%') > 1 THEN
          RAISE EXCEPTION 'no sets here' USING ERRCODE = 'XX999';
        END IF;
        RETURN NULL;
      END $$`);
    await ds.query(
      `CREATE TRIGGER set_fault AFTER INSERT ON notifications.notifications REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION billing.test_no_sets()`,
    );
    try {
      const refs = ['FAULT-0', 'FAULT-1', 'FAULT-2', 'FAULT-3', 'FAULT-4'];
      await loadBills(app, biller, refs.map((ref) => bill(ref, 100)));
      const users = await Promise.all(refs.map(() => payer(1000)));
      const bills = await Promise.all(refs.map((ref, i) => fetchBill(app, users[i]!, biller, ref)));
      const before = await groupCommitted(app, 'billing_pay_from_wallet');
      const logged = app.logs.length;
      const results = await Promise.all(bills.map((b, i) => service.pay(users[i]!.id, b.id, { method: 'WALLET' })));
      expect(results.map((r) => r.payment.status)).toEqual(refs.map(() => 'SUCCEEDED'));
      const after = await groupCommitted(app, 'billing_pay_from_wallet');
      expect(after.oneByOne - before.oneByOne).toBeGreaterThanOrEqual(1);
      expect(after.setWise - before.setWise).toBe(0);
      const warned = app.logs.slice(logged).filter((l) => String(l.msg).includes('could not go as one set'));
      expect(warned.length).toBeGreaterThanOrEqual(1);
      expect(String(warned[0]!.setError)).toMatch(/^XX999: no sets here/);
      expect(await Promise.all(users.map((u) => balance(app, u)))).toEqual(refs.map(() => 900));
    } finally {
      await ds.query(`DROP TRIGGER set_fault ON notifications.notifications`);
      await ds.query(`DROP FUNCTION billing.test_no_sets()`);
    }
  });

  it('a refused payment in a batch is not logged as a fault of the set path', async () => {
    const service = app.api.app.get(PayBillService);
    await loadBills(app, biller, [bill('QUIET-0', 100), bill('QUIET-1', 100), bill('QUIET-2', 100)]);
    const users = await Promise.all([payer(1000), payer(50), payer(1000)]);
    const bills = await Promise.all(['QUIET-0', 'QUIET-1', 'QUIET-2'].map((ref, i) => fetchBill(app, users[i]!, biller, ref)));
    const logged = app.logs.length;
    const outcomes = await Promise.all(
      bills.map((b, i) => service.pay(users[i]!.id, b.id, { method: 'WALLET' }).then((r) => r.payment.status as string, (err: { code?: string }) => err.code)),
    );
    expect(outcomes).toEqual(['SUCCEEDED', 'INSUFFICIENT_FUNDS', 'SUCCEEDED']);
    expect(app.logs.slice(logged).filter((l) => String(l.msg).includes('could not go as one set'))).toEqual([]);
  });

  it('the set path writes what each payment on its own writes: responses, stored responses, ledger, notifications, webhook events', async () => {
    const ds = app.api.app.get(DataSource);
    const hooked = await makeBiller(app, admin, { billerAllowsPartial: true });
    await app.request('PUT', `/v1/billers/${hooked.billerId}/webhook`, { token: hooked.staff.accessToken, body: { url: 'http://127.0.0.1:9/hook' } });
    const amounts = [1000, 700, 500, 300];
    const requested = [null, 200, null, 100];
    const twins = ['TWIN-SET', 'TWIN-EACH'];
    await loadBills(app, hooked, twins.flatMap((t) => amounts.map((amount, i) => bill(`${t}-${i}`, amount, { customerName: i % 2 ? null : '李四' }))));
    // per twin: two payers with the same funds, each paying two of the bills
    const payers = await Promise.all([payer(3000), payer(3000), payer(3000), payer(3000)]);
    const run = async (t: number, setWise: boolean) => {
      const users = [payers[2 * t]!, payers[2 * t]!, payers[2 * t + 1]!, payers[2 * t + 1]!];
      const bills = await Promise.all(amounts.map((_, i) => fetchBill(app, users[i]!, hooked, `${twins[t]}-${i}`)));
      const paymentIds = amounts.map(() => randomUUID());
      const scopes = users.map((u) => `user:${u.id}`);
      const keys = amounts.map(() => idemKey());
      const claims = amounts.map(() => randomUUID());
      for (const [i] of amounts.entries()) await holdKey(ds, scopes[i]!, keys[i]!, claims[i]!);
      let responses: unknown[];
      if (setWise) {
        const rows = (await ds.query(
          `SELECT ord, response, error_state, path FROM billing.pay_from_wallet_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::uuid[], $8::int[], $9::bytea[])`,
          [paymentIds, bills.map((b) => b.id), users.map((u) => u.id), requested, scopes, keys, claims, amounts.map(() => 201), amounts.map(() => null)],
        )) as { ord: number; response: unknown; error_state: string | null; path: string }[];
        expect(rows.map((r) => [r.ord, r.error_state, r.path])).toEqual(amounts.map((_, i) => [i + 1, null, 'set']));
        responses = rows.map((r) => r.response);
      } else {
        responses = [];
        for (const [i] of amounts.entries()) {
          const [row] = (await ds.query(`SELECT response FROM billing.pay_from_wallet($1, $2, $3, $4, NULL, true, $5, $6, $7, 201)`, [
            paymentIds[i], bills[i].id, users[i]!.id, requested[i], scopes[i], keys[i], claims[i],
          ])) as { response: unknown }[];
          responses.push(row!.response);
        }
      }
      const stored = (await ds.query(
        `SELECT k.status, k.response_status, k.response_body FROM unnest($1::text[], $2::text[]) WITH ORDINALITY x(scope, key, i)
           JOIN common.idempotency_keys k ON k.scope = x.scope AND k.key = x.key ORDER BY x.i`,
        [scopes, keys],
      )) as unknown[];
      const ledger = await ds.query(
        `SELECT e.kind, e.description, e.metadata, e.reverses, array_agg(jsonb_build_object('amount', p.amount, 'currency', p.currency, 'after', p.balance_after,
                'owner', a.owner_type || ':' || a.purpose) ORDER BY p.id) AS postings,
                (SELECT count(*)::int FROM ledger.hot_account_credits h WHERE h.posting_id = ANY (array_agg(p.id))) AS hot_credits
           FROM unnest($1::text[]) WITH ORDINALITY x(ref, i) JOIN ledger.journal_entries e ON e.reference = x.ref
           JOIN ledger.postings p ON p.entry_id = e.id JOIN ledger.ledger_accounts a ON a.id = p.account_id
          GROUP BY x.i, e.id ORDER BY x.i`,
        [paymentIds.map((id) => `bill-payment:${id}`)],
      );
      const notified = await ds.query(
        `SELECT n.user_id = x.payer AS own, n.type, n.data FROM unnest($1::text[], $2::uuid[]) WITH ORDINALITY x(key, payer, i)
           JOIN notifications.notifications n ON n.key = x.key AND n.type = 'BILL_PAID' ORDER BY x.i`,
        [paymentIds, users.map((u) => u.id)],
      );
      const events = await ds.query(
        `SELECT w.organization_id, w.event_type, w.status, w.payload FROM unnest($1::text[]) WITH ORDINALITY x(key, i)
           JOIN notifications.webhook_deliveries w ON w.key = x.key ORDER BY x.i`,
        [paymentIds],
      );
      const rows = await ds.query(
        `SELECT p.bill_id = x.bill AS own_bill, p.payer_user_id = x.payer AS own_payer, p.amount, p.amount_explicit, p.currency, p.method, p.status,
                p.autopay_account_id, p.payment_order_id, p.failure_reason, p.ended_at, p.paid_at IS NOT NULL AS paid
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY x(id, bill, payer, i) JOIN billing.bill_payments p ON p.id = x.id ORDER BY x.i`,
        [paymentIds, bills.map((b) => b.id), users.map((u) => u.id)],
      );
      // what differs between the twins by construction: ids, receipt numbers, times, the twin's name
      const ownIds = [...paymentIds, ...bills.map((b) => b.id), ...users.map((u) => u.id)];
      const normal = (v: unknown): unknown =>
        JSON.parse(
          ownIds.reduce((text, id, k) => text.split(id).join(`<id${k}>`), JSON.stringify(v))
            .split(twins[t]!).join('TWIN')
            .replace(/BP\d{8}-\d{8,}/g, '<receipt>')
            .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>'),
        );
      return normal({ responses, stored, ledger, notified, events, rows, balances: await Promise.all(users.map((u) => balance(app, u))) });
    };
    const setWise = await run(0, true);
    const eachAlone = await run(1, false);
    expect(setWise).toEqual(eachAlone);
    expect((setWise as { stored: { status: string }[] }).stored.map((k) => k.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('stores the response only while its claim holds the key: a lost claim (IK409) rolls the payment back', async () => {
    await loadBills(app, biller, [bill('LOST-1', 900)]);
    const user = await payer(2000);
    const b = await fetchBill(app, user, biller, 'LOST-1');
    const ds = app.api.app.get(DataSource);
    const [scope, key, held, lost] = [`user:${user.id}`, idemKey(), randomUUID(), randomUUID()];
    await holdKey(ds, scope, key, held);
    const pay = (claim: string) =>
      ds.query(`SELECT response FROM billing.pay_from_wallet($1, $2, $3, NULL, NULL, true, $4, $5, $6, 201)`, [randomUUID(), b.id, user.id, scope, key, claim]);
    await expect(pay(lost)).rejects.toMatchObject({ driverError: expect.objectContaining({ code: 'IK409' }) });
    expect(await fetchBill(app, user, biller, 'LOST-1')).toMatchObject({ paidAmount: 0, status: 'UNPAID' });
    expect(await balance(app, user)).toBe(2000);

    const [{ response }] = (await pay(held)) as { response: unknown }[];
    expect(await storedKey(ds, scope, key)).toEqual({ status: 'COMPLETED', response_status: 201, response_body: response });
    expect(await balance(app, user)).toBe(1100);
  });
});
