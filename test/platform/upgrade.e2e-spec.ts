import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, runMigrations } from '@app/database';
import { migrations } from '@app/platform';
import { startApp, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { ADMIN, adminToken } from '../support/factories.js';
import { buildOnce, childEnv, runNode } from '../support/process.js';

/**
 * The migrations of the version before every context had its own schema
 * (everything in `public`, business columns on identity's organisations).
 * Their files are never edited, so running just these builds that version's
 * database.
 */
const BEFORE_SCHEMAS = [
  'Baseline1763700000000',
  'Identity1763700100000',
  'Idempotency1763700150000',
  'Ledger1763700200000',
  'ProviderSandbox1763700250000',
  'Payments1763700300000',
  'Billing1763700400000',
];

async function migrate(url: string, which: typeof migrations): Promise<void> {
  const ds = new DataSource(buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: 'upgrade-test', migrations: which }));
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
}

async function withDataSource<T>(url: string, work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = new DataSource(buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: 'upgrade-test', migrations: [] }));
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

/** Money in the old layout, through the old ledger_post(): a provider top-up to a wallet, a wallet bill payment. */
async function fillOldDatabase(ds: DataSource) {
  const one = async <T>(sql: string, params: unknown[] = []) => ((await ds.query(sql, params)) as T[])[0];
  const user = await one<{ id: string }>(`INSERT INTO users (phone, password_hash) VALUES ('+8613700000001', 'x') RETURNING id`);
  const biller = await one<{ id: string }>(
    `INSERT INTO organizations (name, kind, biller_category, biller_allows_partial) VALUES ('Old Water', 'BILLER', 'WATER', true) RETURNING id`,
  );
  const uni = await one<{ id: string }>(`INSERT INTO organizations (name, kind) VALUES ('Old University', 'UNIVERSITY') RETURNING id`);
  const canteen = await one<{ id: string }>(
    `INSERT INTO organizations (name, kind, university_id, merchant_category) VALUES ('Old Canteen', 'MERCHANT', $1, 'CANTEEN') RETURNING id`,
    [uni.id],
  );
  await ds.query(`INSERT INTO organizations (name, kind, currency) VALUES ('Old Bus', 'TRANSIT_OPERATOR', 'HKD')`);
  const account = async (ownerType: string, ownerId: string, purpose: string, flags = { allowNegative: false, hot: false }) =>
    (
      await one<{ id: string }>(
        `INSERT INTO ledger_accounts (owner_type, owner_id, purpose, currency, allow_negative, hot) VALUES ($1, $2, $3, 'CNY', $4, $5) RETURNING id`,
        [ownerType, ownerId, purpose, flags.allowNegative, flags.hot],
      )
    ).id;
  const wallet = await account('USER', user.id, 'WALLET');
  const clearing = await account('PROVIDER', 'ALIPAY', 'CLEARING', { allowNegative: true, hot: false });
  const receivable = await account('ORGANIZATION', biller.id, 'RECEIVABLE', { allowNegative: false, hot: true });
  const post = (reference: string, kind: string, postings: [string, bigint][]) => {
    const sorted = [...postings].sort(([a], [b]) => (a < b ? -1 : 1));
    return ds.query(`SELECT * FROM ledger_post($1, $2, NULL, NULL, NULL, $3::uuid[], $4::text[], $5::bigint[])`, [
      reference,
      kind,
      sorted.map(([a]) => a),
      sorted.map(() => 'CNY'),
      sorted.map(([, amt]) => amt.toString()),
    ]);
  };
  const order = await one<{ id: string }>(
    `INSERT INTO payment_orders (out_trade_no, user_id, purpose, provider, merchant_id, status, amount, currency, provider_amount, provider_currency,
                                 subject, expires_at, next_query_at, completed_at, completed_by, captured_at)
     VALUES ($1, $2, 'WALLET_TOP_UP', 'ALIPAY', 'm-1', 'SUCCEEDED', 1000, 'CNY', 1000, 'CNY', 'Top-up', now(), now(), now(), 'NOTIFICATION', now())
     RETURNING id`,
    [`T${randomUUID().replaceAll('-', '')}`, user.id],
  );
  await post(`payment-order:${order.id}`, 'WALLET_TOP_UP', [[clearing, -1000n], [wallet, 1000n]]);
  const bill = await one<{ id: string }>(
    `INSERT INTO bills (biller_id, customer_ref, period, amount, currency, due_date, paid_amount, has_payments)
     VALUES ($1, 'W-1', '2026-10', 500, 'CNY', '2026-11-30', 300, true) RETURNING id`,
    [biller.id],
  );
  const payment = await one<{ id: string }>(
    `INSERT INTO bill_payments (bill_id, biller_id, payer_user_id, amount, currency, method, status, receipt_no, paid_at)
     VALUES ($1, $2, $3, 300, 'CNY', 'WALLET', 'SUCCEEDED', 'BP20261120-' || lpad(nextval('bill_receipt_numbers')::text, 8, '0'), now()) RETURNING id`,
    [bill.id, biller.id, user.id],
  );
  await post(`bill-payment:${payment.id}`, 'BILL_PAYMENT', [[wallet, -300n], [receivable, 300n]]);
  return { user, biller, uni, canteen, wallet, receivable, bill, payment, order };
}

describe('a fresh database', () => {
  it('keeps no table of ours in public, and organisations carry no business columns', async () => {
    const { url } = await freshDatabase();
    await withDataSource(url, async (ds) => {
      expect(await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).toEqual([]);
      const schemas = (await ds.query(`SELECT DISTINCT schemaname FROM pg_tables ORDER BY schemaname`)) as { schemaname: string }[];
      expect(schemas.map((s) => s.schemaname).filter((s) => !s.startsWith('pg_') && s !== 'information_schema')).toEqual([
        'billing', 'campus', 'common', 'identity', 'ledger', 'paycode', 'payments', 'pgboss', 'platform', 'sandbox', 'transit',
      ]);
      const columns = (await ds.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'identity' AND table_name = 'organizations' ORDER BY ordinal_position`,
      )) as { column_name: string }[];
      expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'kind', 'currency', 'created_at']);
    });
  });
});

describe('upgrade: a database of the version before per-context schemas', () => {
  let app: TestApp | undefined;
  afterAll(async () => {
    await app?.close();
  });

  it('keeps every row and balance, moves each context into its schema, and the ledger still adds up', async () => {
    const old = migrations.filter((m) => BEFORE_SCHEMAS.includes(m.name));
    expect(old.map((m) => m.name)).toEqual(BEFORE_SCHEMAS);
    const { url } = await freshDatabase({ migrated: false });
    await migrate(url, old);
    const data = await withDataSource(url, fillOldDatabase);

    await migrate(url, migrations);

    await withDataSource(url, async (ds) => {
      const publicTables = (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)) as { tablename: string }[];
      expect(publicTables).toEqual([]);
      const columns = (await ds.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'identity' AND table_name = 'organizations' ORDER BY ordinal_position`,
      )) as { column_name: string }[];
      expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'kind', 'currency', 'created_at']);
      expect(await ds.query(`SELECT organization_id, category, allows_partial, allows_advance FROM billing.billers`)).toEqual([
        { organization_id: data.biller.id, category: 'WATER', allows_partial: true, allows_advance: false },
      ]);
      expect(await ds.query(`SELECT organization_id, university_id, category FROM campus.merchants`)).toEqual([
        { organization_id: data.canteen.id, university_id: data.uni.id, category: 'CANTEEN' },
      ]);
      expect(await ds.query(`SELECT organization_id FROM campus.universities`)).toEqual([{ organization_id: data.uni.id }]);
      expect(await ds.query(`SELECT paid_amount::int AS paid FROM billing.bills WHERE id = $1`, [data.bill.id])).toEqual([{ paid: 300 }]);
      expect(await ds.query(`SELECT status FROM billing.bill_payments WHERE id = $1`, [data.payment.id])).toEqual([{ status: 'SUCCEEDED' }]);
      expect(await ds.query(`SELECT status FROM payments.payment_orders WHERE id = $1`, [data.order.id])).toEqual([{ status: 'SUCCEEDED' }]);
      expect(await ds.query(`SELECT balance::int AS balance FROM ledger.ledger_accounts WHERE id = $1`, [data.wallet])).toEqual([{ balance: 700 }]);
      // the moved ledger_post() still posts (its tables resolved in its schema), and receipt numbers go on
      const [{ n }] = (await ds.query(`SELECT nextval('billing.bill_receipt_numbers')::int AS n`)) as { n: number }[];
      expect(n).toBe(2);
    });

    // npm run ledger:verify, as an operator would run it after the upgrade
    buildOnce();
    const verify = runNode('dist/apps/api/src/ledger-verify.js', childEnv({ DATABASE_URL: url }));
    expect(await verify.exited(60_000)).toBe(0);
    expect(verify.output()).toContain('ledger: OK, money adds up');

    // the upgraded database serves the API: organisations show their profiles, the citizen's bill and receipt are there
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password }, { databaseUrl: url });
    const admin = await adminToken(app);
    const orgs = await app.request('GET', '/v1/admin/organizations', { token: admin });
    expect(orgs.status).toBe(200);
    expect(orgs.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: data.biller.id, kind: 'BILLER', billerCategory: 'WATER', billerAllowsPartial: true, billerAllowsAdvance: false }),
        expect.objectContaining({ id: data.canteen.id, kind: 'MERCHANT', merchantCategory: 'CANTEEN', universityId: data.uni.id }),
        expect.objectContaining({ name: 'Old Bus', kind: 'TRANSIT_OPERATOR', currency: 'HKD' }),
      ]),
    );
    const fetched = await app.request('GET', `/v1/billers/${data.biller.id}/bills?customerRef=W-1`, { token: admin });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual([expect.objectContaining({ id: data.bill.id, amount: 500, paidAmount: 300, outstanding: 200 })]);
    const post = await app.request('POST', '/v1/admin/organizations', { token: admin, body: { name: 'New Gas', kind: 'BILLER', billerCategory: 'GAS' } });
    expect(post.status).toBe(201);
  }, 180_000);
});
