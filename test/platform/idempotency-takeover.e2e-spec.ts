import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { expectError, request, startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { lockTables, qualifiedTable, waitForBlockedBackend } from '../support/db-faults.js';
import { ADMIN, adminToken, registerUser, type TestUser } from '../support/factories.js';
import { balance, eventually, idemKey } from '../support/payments.js';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady, SERVER } from '../support/process.js';
import { IdempotencyRepository } from '../../libs/common/src/idempotency/idempotency.repository.js';

const MAIN = SERVER;
const adjustment = (user: TestUser) => ({ userId: user.id, direction: 'CREDIT', amount: 500, currency: 'CNY', reason: 'takeover test' });

async function claimRow(client: pg.Client, key: string): Promise<{ status: string; owner_pid: number | null; claim: string } | undefined> {
  const table = await qualifiedTable(client, 'idempotency_keys');
  const { rows } = await client.query(`SELECT status, owner_pid, claim FROM ${table} WHERE key = $1`, [key]);
  return rows[0];
}

describe('idempotency keys of a process that died are taken over at once; a live one is never shared', () => {
  let databaseUrl: string;
  let app: TestApp;
  let admin: string;
  let db: pg.Client;
  let child: Child | undefined;

  beforeAll(async () => {
    buildOnce();
    databaseUrl = (await freshDatabase()).url;
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, IDEMPOTENCY_WAIT_MS: '3000' }, { databaseUrl });
    admin = await adminToken(app);
    db = new pg.Client({ connectionString: databaseUrl });
    db.on('error', () => undefined);
    await db.connect();
  }, 240_000);
  afterAll(async () => {
    if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
    await db?.end().catch(() => undefined);
    await app?.close();
  });

  it('a retry runs at once when the process that claimed the key was SIGKILLed mid-request; parallel retries act once', async () => {
    const port = await freePort();
    child = runNode(
      MAIN,
      childEnv({ DATABASE_URL: databaseUrl, PORT: String(port), JOBS_IN_API: 'false', SERVICE_NAME: 'doomed', ...TEST_SECRETS }),
    );
    await waitReady(port);
    const user = await registerUser(app);
    const key = idemKey();
    const send = (baseUrl: string) =>
      request(baseUrl, 'POST', '/v1/admin/adjustments', { token: admin, headers: { 'idempotency-key': key }, body: adjustment(user) });

    const lock = await lockTables(databaseUrl, ['ledger_accounts']);
    try {
      const doomed = send(`http://127.0.0.1:${port}`).catch(() => undefined);
      await waitForBlockedBackend(lock.client, 'doomed');
      expect((await claimRow(db, key))?.status).toBe('IN_PROGRESS');
      child.proc.kill('SIGKILL');
      await child.exited();
      await doomed;
      // PostgreSQL notices the dead process's idle owner connection at once
      await eventually(async () => {
        const { rows } = await db.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'doomed:idempotency-owner'`);
        return rows.length === 0;
      }, 5000, 'the dead owner backend to go');
    } finally {
      await lock.release();
    }

    const started = Date.now();
    const retries = await Promise.all([send(app.baseUrl), send(app.baseUrl), send(app.baseUrl), send(app.baseUrl)]);
    const ran = retries.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    expect(ran).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2500); // not after the wait (3 s) nor the claim's lock (60 s)
    for (const r of retries) {
      if (r !== ran[0]) expect([201, 409]).toContain(r.status);
    }
    expect(await balance(app, user)).toBe(500);
    const replay = await send(app.baseUrl);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(ran[0].body);
  });

  it('gives back a claim whose commit it never learnt of (connection lost at the commit): a retry runs at once, not after the lock', async () => {
    const user = await registerUser(app);
    const key = idemKey();
    const send = () => app.request('POST', '/v1/admin/adjustments', { token: admin, headers: { 'idempotency-key': key }, body: adjustment(user) });
    // the claim's statement commits, then its answer is lost, as when the connection dies at the commit
    const repository = app.api.app.get(IdempotencyRepository);
    const claim = repository.claim.bind(repository);
    repository.claim = async (...args: Parameters<IdempotencyRepository['claim']>) => {
      repository.claim = claim;
      await claim(...args);
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    };
    const lost = await send();
    expect(lost.status).toBeGreaterThanOrEqual(500);
    expect(repository.claim).toBe(claim);
    // the live process's claim, which no request runs under, is gone: not IN_PROGRESS until its lock expires
    await eventually(async () => (await claimRow(db, key)) === undefined, 5000, 'the lost claim to be given back');
    const started = Date.now();
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await balance(app, user)).toBe(500);
  });

  it('never lets a second live request run a key, even when the owner loses its owner connection', async () => {
    const other = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, IDEMPOTENCY_WAIT_MS: '300', SERVICE_NAME: 'patient' }, { databaseUrl });
    const owner = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, SERVICE_NAME: 'owner-a' }, { databaseUrl });
    try {
      const user = await registerUser(app);
      const key = idemKey();
      const send = (target: TestApp) =>
        target.request('POST', '/v1/admin/adjustments', { token: admin, headers: { 'idempotency-key': key }, body: adjustment(user) });

      const lock = await lockTables(databaseUrl, ['ledger_accounts']);
      let first;
      try {
        const running = send(owner);
        await waitForBlockedBackend(lock.client, 'owner-a');
        expectError(await send(other), 409, 'IDEMPOTENCY_IN_PROGRESS');

        // the owner's process lives on, but its owner backend is terminated
        const before = (await claimRow(db, key))!;
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'owner-a:idempotency-owner'`,
        );
        expect(rows[0].n).toBe(1);
        // it reconnects and moves its running claim onto the new backend
        await eventually(async () => {
          const row = await claimRow(db, key);
          return row && row.owner_pid !== before.owner_pid && row.claim === before.claim;
        }, 5000, 'the claim to be re-tagged');
        expectError(await send(other), 409, 'IDEMPOTENCY_IN_PROGRESS');
        expectError(await send(app), 409, 'IDEMPOTENCY_IN_PROGRESS');
        await lock.release();
        first = await running;
      } finally {
        await lock.release();
      }
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const replay = await send(other);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await balance(app, user)).toBe(500);
    } finally {
      await owner.close();
      await other.close();
    }
  });
});
