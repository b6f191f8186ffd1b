import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { lockTables, waitForBlockedBackend } from '../support/db-faults.js';
import { ADMIN, adminToken, registerUser, type TestUser } from '../support/factories.js';
import { balance, idemKey } from '../support/payments.js';
import { startFaultProxy, type FaultProxy } from '../support/pg-fault-proxy.js';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady, SERVER } from '../support/process.js';

const MAIN = SERVER;

describe('the API process and a database that kills its connections', () => {
  let proxy: FaultProxy;
  let child: Child | undefined;
  let admin: pg.Client;
  let database: string;

  beforeAll(async () => {
    buildOnce();
    const db = await freshDatabase();
    database = db.name;
    proxy = await startFaultProxy(db.url);
    admin = new pg.Client({ connectionString: db.url });
    admin.on('error', () => undefined);
    await admin.connect();
  }, 240_000);
  afterAll(async () => {
    if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
    await admin?.end().catch(() => undefined);
    await proxy?.close();
  });

  it('survives connections terminated as the pool hands them out (57P01 in the same read as ReadyForQuery)', async () => {
    const port = await freePort();
    child = runNode(MAIN, childEnv({ DATABASE_URL: proxy.url, PORT: String(port), JOBS_IN_API: 'false', DB_POOL_SIZE: '4' }));
    await waitReady(port);

    // every connection from now on is terminated the moment it is handed out;
    // the pool's current ones are terminated too, so requests need new ones
    proxy.killAtHandout = 1;
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> 'fault-proxy'`, [database]);
    const statuses: number[] = [];
    for (let i = 0; i < 12 && child.proc.exitCode === null; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      statuses.push(res?.status ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    proxy.killAtHandout = 0;

    expect(child.output()).not.toContain("Unhandled 'error' event");
    expect(child.proc.exitCode).toBeNull();
    expect(proxy.killedAtHandout).toBeGreaterThanOrEqual(5);
    expect(statuses).not.toContain(0); // every request was answered
    expect(child.output()).toContain('Database connection lost (57P01)');
    // and it serves again once the database behaves
    expect(await waitReady(port, 15_000)).toBeGreaterThanOrEqual(0);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  });
});

describe('answers while the database fails: 503 with Retry-After, never 401 or 500', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    // a statement waiting on a lock gives up after 300 ms (57014), as a busy database would
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, DB_STATEMENT_TIMEOUT_MS: '300' });
    admin = await adminToken(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const credit = (user: TestUser, key: string) =>
    app.request('POST', '/v1/admin/adjustments', {
      token: admin,
      headers: { 'idempotency-key': key },
      body: { userId: user.id, direction: 'CREDIT', amount: 500, currency: 'CNY', reason: 'fault test' },
    });

  it('a valid token meets a database that cannot look its session up: 503 SERVICE_UNAVAILABLE, not 401', async () => {
    const user = await registerUser(app);
    const lock = await lockTables(app.databaseUrl, ['auth_sessions']);
    let during;
    try {
      during = await app.request('GET', '/v1/me', { token: user.accessToken });
    } finally {
      await lock.release();
    }
    expectError(during, 503, 'SERVICE_UNAVAILABLE');
    expect(during.headers.get('retry-after')).toBe('1');
    // the same token works once the database does; a bad token is still 401
    expect((await app.request('GET', '/v1/me', { token: user.accessToken })).status).toBe(200);
    expectError(await app.request('GET', '/v1/me', { token: user.accessToken.slice(0, -2) + 'xx' }), 401, 'UNAUTHENTICATED');
  });

  it('a statement timeout in a money-moving request is 503 and frees its key: the retry runs and moves money once', async () => {
    const user = await registerUser(app);
    const key = idemKey();
    const lock = await lockTables(app.databaseUrl, ['ledger_accounts']);
    let during;
    try {
      during = await credit(user, key);
    } finally {
      await lock.release();
    }
    expectError(during, 503, 'SERVICE_UNAVAILABLE');
    expect(during.headers.get('retry-after')).toBe('1');
    const retry = await credit(user, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await credit(user, key)).headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(app, user)).toBe(500);
  });

  it('a connection terminated under a money-moving request (57P01) is 503, not 500, and frees its key', async () => {
    const user = await registerUser(app);
    const key = idemKey();
    const slow = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, SERVICE_NAME: 'fault-victim' }, { databaseUrl: app.databaseUrl });
    try {
      const lock = await lockTables(app.databaseUrl, ['ledger_accounts']);
      let during;
      try {
        const pending = slow.request('POST', '/v1/admin/adjustments', {
          token: admin,
          headers: { 'idempotency-key': key },
          body: { userId: user.id, direction: 'CREDIT', amount: 500, currency: 'CNY', reason: 'fault test' },
        });
        const pid = await waitForBlockedBackend(lock.client, 'fault-victim');
        await lock.client.query('SELECT pg_terminate_backend($1)', [pid]);
        during = await pending;
      } finally {
        await lock.release();
      }
      expectError(during, 503, 'SERVICE_UNAVAILABLE');
      expect(during.headers.get('retry-after')).toBe('1');
      const retry = await credit(user, key);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(await balance(app, user)).toBe(500);
    } finally {
      await slow.close();
    }
  });
});
