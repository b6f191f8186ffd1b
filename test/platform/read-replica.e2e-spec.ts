import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser, type TestUser } from '../support/factories.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill, type TestBiller } from '../support/billing.js';
import { eventually } from '../support/payments.js';
import { freePort } from '../support/process.js';

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

/** A PostgreSQL tool, as the postgres user when we are root (initdb and postgres refuse root). */
function pgTool(tool: string, args: string[]): string {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]] : [join(BIN, tool), args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

/**
 * DATABASE_READ_URL on a real streaming standby: a primary and a standby made
 * with initdb and `pg_basebackup -R` in a temporary folder, on free ports. The
 * wallet history reads the standby (a payment appears there once replayed),
 * while the payment's receipt and the balance read the primary and are never
 * stale; a standby that is down sends the history back to the primary.
 */
describe('read replica (DATABASE_READ_URL on a streaming standby)', () => {
  let base: string;
  let primaryPort: number;
  let standbyPort: number;
  let standby: pg.Client;
  let app: TestApp;
  let admin: string;
  let biller: TestBiller;
  let user: TestUser;
  const started: string[] = [];

  const history = async (): Promise<{ id: string; amount: number }[]> => {
    const res = await app.request('GET', '/v1/wallet/transactions?limit=100', { token: user.accessToken });
    expect(res.status).toBe(200);
    return res.body.items as { id: string; amount: number }[];
  };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'citypay-replica-'));
    if (asRoot) execFileSync('chown', ['postgres:postgres', base]);
    else chownSync(base, process.getuid!(), process.getgid!());
    [primaryPort, standbyPort] = [await freePort(), await freePort()];
    const primaryDir = join(base, 'primary');
    const standbyDir = join(base, 'standby');
    // initdb's pg_hba trusts local and loopback connections, replication included
    pgTool('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
    const settings = (port: number) =>
      `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${base}'\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\nfull_page_writes = off\nmax_connections = 60\n`;
    appendFileSync(join(primaryDir, 'postgresql.conf'), settings(primaryPort));
    pgTool('pg_ctl', ['-D', primaryDir, '-l', join(base, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    pgTool('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream', '--checkpoint=fast']);
    appendFileSync(join(standbyDir, 'postgresql.conf'), settings(standbyPort));
    pgTool('pg_ctl', ['-D', standbyDir, '-l', join(base, 'standby.log'), '-w', 'start']);
    started.push(standbyDir);

    const primary = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/postgres` });
    await primary.connect();
    await primary.query('CREATE DATABASE citypay');
    await primary.end();
    const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/citypay`;
    const standbyUrl = `postgres://postgres@127.0.0.1:${standbyPort}/citypay`;
    await eventually(async () => {
      const probe = new pg.Client({ connectionString: standbyUrl });
      try {
        await probe.connect();
        return true;
      } catch {
        return false;
      } finally {
        await probe.end().catch(() => undefined);
      }
    }, 20_000, 'the database on the standby');
    standby = new pg.Client({ connectionString: standbyUrl });
    standby.on('error', () => undefined); // the last test stops the standby under it
    await standby.connect();
    expect((await standby.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(true);

    // migrations run on the primary at start, and reach the standby by replication
    app = await startApp(
      { ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, DATABASE_READ_URL: standbyUrl, PAYMENT_QUERY_INTERVAL_MS: '3600000' },
      { databaseUrl: primaryUrl },
    );
    admin = await adminToken(app);
    biller = await makeBiller(app, admin, {});
    user = await verifiedUser(app);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await standby?.end().catch(() => undefined);
    for (const dir of started.reverse()) {
      try {
        pgTool('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
    }
    if (base) rmSync(base, { recursive: true, force: true });
  }, 60_000);

  it('shows a payment in the history once replayed, while its receipt and the balance are never stale', async () => {
    await loadBills(app, biller, [bill('R-1', 1_200), bill('R-2', 1_300), bill('R-3', 1_400)]);
    await credit(app, admin, user, 10_000);
    await eventually(async () => (await history()).length === 1, 10_000, 'the credit on the replica');

    // the standby stops replaying: anything written now is on the primary only
    await standby.query('SELECT pg_wal_replay_pause()');
    await eventually(async () => (await standby.query(`SELECT pg_get_wal_replay_pause_state() AS s`)).rows[0].s === 'paused', 5_000, 'replay paused');
    const paid: string[] = [];
    let expected = 10_000;
    for (const [ref, amount] of [['R-1', 1_200], ['R-2', 1_300], ['R-3', 1_400]] as const) {
      const b = await fetchBill(app, user, biller, ref);
      const res = await payBill(app, user, b.id, { method: 'WALLET' });
      expect(res.status).toBe(201);
      expected -= amount;
      // read-your-writes, right after paying: the receipt and the balance come from the primary
      const receipt = await app.request('GET', `/v1/payments/${res.body.payment.id}`, { token: user.accessToken });
      expect(receipt.status).toBe(200);
      expect(receipt.body.receipt).toMatchObject({ receiptNo: res.body.payment.receiptNo, customerRef: ref, amount });
      const wallet = await app.request('GET', '/v1/wallet', { token: user.accessToken });
      expect(wallet.body.balances).toEqual([{ amount: expected, currency: 'CNY' }]);
      paid.push(res.body.payment.id as string);
    }
    // the history is read from the replica: still only the credit
    expect(await history()).toHaveLength(1);

    await standby.query('SELECT pg_wal_replay_resume()');
    const replayed = await eventually(async () => {
      const items = await history();
      return items.length === 4 ? items : undefined;
    }, 15_000, 'the payments on the replica');
    expect(replayed.map((i) => i.amount)).toEqual([-1_400, -1_300, -1_200, 10_000]);
  }, 60_000);

  it('reads the history from the primary while the replica is down', async () => {
    pgTool('pg_ctl', ['-D', started[started.length - 1], '-m', 'immediate', '-w', 'stop']);
    await loadBills(app, biller, [bill('R-4', 500)]);
    const res = await payBill(app, user, (await fetchBill(app, user, biller, 'R-4')).id, { method: 'WALLET' });
    expect(res.status).toBe(201);
    const items = await history();
    expect(items).toHaveLength(5);
    expect(items[0].amount).toBe(-500);
  }, 30_000);
});
