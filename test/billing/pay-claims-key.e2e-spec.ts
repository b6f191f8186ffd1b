import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import type { TestUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';
import { holdKey, storedKey } from '../support/idempotency.js';
import { balance, idemKey } from '../support/payments.js';

/**
 * A wallet bill payment claims its Idempotency-Key in the statement that
 * pays (billing.pay_from_wallet_batch() through
 * common.idempotency_claim_fresh()); a key already there sends the request
 * the ordinary way (claim, then replay, reuse, wait or takeover). These are
 * api.md's idempotency rules, over HTTP, on that path.
 */
describe('a wallet payment claims its key in its statement; a key already there goes the ordinary way', () => {
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;
  let ds: DataSource;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, PAYMENT_QUERY_INTERVAL_MS: '3600000', IDEMPOTENCY_WAIT_MS: '300' });
    admin = await adminToken(app);
    biller = await makeBiller(app, admin, { billerAllowsPartial: true });
    ds = app.api.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function payer(amount: number): Promise<TestUser> {
    const user = await verifiedUser(app);
    await credit(app, admin, user, amount);
    return user;
  }

  const keyRow = (user: TestUser, key: string) => storedKey(ds, `user:${user.id}`, key);

  /** One bill of the biller, a payer funded with `funds`, and a fresh key to pay it with. */
  async function billToPay(ref: string, amount: number, funds: number) {
    await loadBills(app, biller, [bill(ref, amount)]);
    const user = await payer(funds);
    return { user, b: await fetchBill(app, user, biller, ref), key: idemKey() };
  }

  it('parallel requests with one key pay once, and every one answers that payment', async () => {
    const { user, b, key } = await billToPay('CK-PAR', 900, 5000);
    const answers = await Promise.all(Array.from({ length: 12 }, () => payBill(app, user, b.id, { method: 'WALLET', amount: 300 }, key)));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const first = answers.filter((a) => a.headers.get('idempotent-replayed') !== 'true');
    expect(first).toHaveLength(1);
    for (const a of answers) expect(a.body).toEqual(first[0]!.body);
    expect(await balance(app, user)).toBe(4700);
    expect(await fetchBill(app, user, biller, 'CK-PAR')).toMatchObject({ paidAmount: 300 });
    expect(await keyRow(user, key)).toEqual({ status: 'COMPLETED', response_status: 201, response_body: first[0]!.body });
  });

  it('the same key with another request: 422 IDEMPOTENCY_KEY_REUSED, nothing paid', async () => {
    await loadBills(app, biller, [bill('CK-R1', 400), bill('CK-R2', 400)]);
    const user = await payer(1000);
    const [b1, b2] = [await fetchBill(app, user, biller, 'CK-R1'), await fetchBill(app, user, biller, 'CK-R2')];
    const key = idemKey();
    expect((await payBill(app, user, b1.id, { method: 'WALLET' }, key)).status).toBe(201);
    expectError(await payBill(app, user, b2.id, { method: 'WALLET' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await payBill(app, user, b1.id, { method: 'WALLET', amount: 100 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await balance(app, user)).toBe(600);
    expect(await fetchBill(app, user, biller, 'CK-R2')).toMatchObject({ paidAmount: 0 });
  });

  it('a refusal is stored under its key: a short wallet answers 402, and after a top-up the key still answers 402', async () => {
    const { user, b, key } = await billToPay('CK-SHORT', 800, 500);
    expectError(await payBill(app, user, b.id, { method: 'WALLET' }, key), 402, 'INSUFFICIENT_FUNDS');
    expect(await keyRow(user, key)).toMatchObject({ status: 'COMPLETED', response_status: 402 });
    await credit(app, admin, user, 500);
    const again = await payBill(app, user, b.id, { method: 'WALLET' }, key);
    expectError(again, 402, 'INSUFFICIENT_FUNDS');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(app, user)).toBe(1000);
    expect((await payBill(app, user, b.id, { method: 'WALLET' })).status).toBe(201); // a new key pays
    expect(await balance(app, user)).toBe(200);
  });

  it('bad input gives the key back: 400 VALIDATION_FAILED stores nothing, and the key then pays', async () => {
    const { user, b, key } = await billToPay('CK-BAD', 300, 300);
    expectError(await payBill(app, user, b.id, { method: 'WALLET', amount: -5 }, key), 400, 'VALIDATION_FAILED');
    expect(await keyRow(user, key)).toBeUndefined();
    expect((await payBill(app, user, b.id, { method: 'WALLET' }, key)).status).toBe(201);
    expect(await balance(app, user)).toBe(0);
  });

  it('a key a running request holds: the payment waits, answers 409 IDEMPOTENCY_IN_PROGRESS and pays nothing; once its lock expires, a retry takes it over and pays', async () => {
    const { user, b, key } = await billToPay('CK-RUN', 600, 1000);
    const body = { method: 'WALLET' };
    // the hash of this very request (IdempotencyInterceptor: method, url, raw body), held by a live claim
    const hash = createHash('sha256').update(`POST\n/v1/bills/${b.id}/payments\n`).update(JSON.stringify(body)).digest();
    await holdKey(ds, `user:${user.id}`, key, randomUUID(), hash);
    expectError(await payBill(app, user, b.id, body, key), 409, 'IDEMPOTENCY_IN_PROGRESS');
    expect(await balance(app, user)).toBe(1000);

    await ds.query(`UPDATE common.idempotency_keys SET locked_until = now() - interval '1 second' WHERE scope = $1 AND key = $2`, [`user:${user.id}`, key]);
    const taken = await payBill(app, user, b.id, body, key);
    expect(taken.status).toBe(201);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
    expect(await balance(app, user)).toBe(400);
    expect(await keyRow(user, key)).toEqual({ status: 'COMPLETED', response_status: 201, response_body: taken.body });
  });

  it('in SQL: a set of fresh keys is claimed and completed by the set; a key already there is IK100 for its payment alone, which pays nothing', async () => {
    await loadBills(app, biller, [bill('CK-SQL-1', 100), bill('CK-SQL-2', 200), bill('CK-SQL-3', 300)]);
    const users = [await payer(1000), await payer(1000), await payer(1000)];
    const bills = await Promise.all(users.map((u, i) => fetchBill(app, u, biller, `CK-SQL-${i + 1}`)));
    const batch = async (keys: string[]) =>
      (await ds.query(
        `SELECT ord, error_state, path FROM billing.pay_from_wallet_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::uuid[], $8::int[], $9::bytea[])`,
        [
          users.map(() => randomUUID()), bills.map((x) => x.id), users.map((u) => u.id), users.map(() => '50'),
          users.map((u) => `user:${u.id}`), keys, users.map(() => randomUUID()), users.map(() => 201), users.map((u) => createHash('sha256').update(u.id).digest()),
        ],
      )) as { ord: number; error_state: string | null; path: string }[];
    const keys = users.map(() => idemKey());
    expect((await batch(keys)).map((r) => [r.ord, r.error_state, r.path])).toEqual([[1, null, 'set'], [2, null, 'set'], [3, null, 'set']]);
    for (const [i, u] of users.entries()) expect(await keyRow(u, keys[i]!)).toMatchObject({ status: 'COMPLETED', response_status: 201 });

    const again = [idemKey(), keys[1]!, idemKey()];
    expect((await batch(again)).map((r) => [r.ord, r.error_state, r.path])).toEqual([[1, null, 'each'], [2, 'IK100', 'each'], [3, null, 'each']]);
    expect(await Promise.all(users.map((u) => balance(app, u)))).toEqual([900, 950, 900]);
    // one by one, each payment that paid claimed and completed its own key
    expect(await keyRow(users[0]!, again[0]!)).toMatchObject({ status: 'COMPLETED', response_status: 201 });
    expect(await keyRow(users[2]!, again[2]!)).toMatchObject({ status: 'COMPLETED', response_status: 201 });

    // the signature of the release before (a rolling deploy): keys claimed beforehand, completed by the payment
    await loadBills(app, biller, [bill('CK-SQL-OLD', 100)]);
    const oldBill = await fetchBill(app, users[0]!, biller, 'CK-SQL-OLD');
    const [scope, key, claim] = [`user:${users[0]!.id}`, idemKey(), randomUUID()];
    await holdKey(ds, scope, key, claim);
    const old = (await ds.query(
      `SELECT ord, error_state, path FROM billing.pay_from_wallet_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::uuid[], $8::int[])`,
      [[randomUUID()], [oldBill.id], [users[0]!.id], ['50'], [scope], [key], [claim], [201]],
    )) as { ord: number; error_state: string | null; path: string }[];
    expect(old.map((r) => [r.ord, r.error_state, r.path])).toEqual([[1, null, 'alone']]);
    expect(await keyRow(users[0]!, key)).toMatchObject({ status: 'COMPLETED', response_status: 201 });
    expect(await balance(app, users[0]!)).toBe(850);
  });
});
