import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freshDatabase } from '../support/database.js';
import { startFaultProxy, type FaultProxy } from '../support/pg-fault-proxy.js';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady } from '../support/process.js';

const MAIN = 'dist/apps/api/src/main.js';

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
  });
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
