import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, runMigrations } from '@app/database';
import { JobsService } from '@app/jobs';
import { migrations } from '@app/platform';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { ProbeModule } from '../support/probe.module.js';

describe('operations endpoints', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({}, { imports: [ProbeModule] });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('GET /health/live answers 200', async () => {
    const res = await app.request('GET', '/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with the database and migrations up', async () => {
    const res = await app.request('GET', '/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.details).toEqual({ database: { status: 'up' }, migrations: { status: 'up' } });
  });

  it('serves OpenAPI 3 at /docs-json and the UI at /docs', async () => {
    const json = await app.request('GET', '/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    const ui = await app.request('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('exposes Prometheus metrics: process defaults and request durations by route template', async () => {
    await app.request('GET', '/probe/items/123');
    await app.request('GET', '/probe/items/456');
    await app.request('GET', '/no/such/thing');
    const res = await app.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toContain('process_cpu_seconds_total');
    expect(res.text).toContain('nodejs_eventloop_lag_seconds');
    expect(res.text).toMatch(/http_request_duration_seconds_count\{route="\/probe\/items\/:id",method="GET",status_code="200"\} 2/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="[0-9.]+",route="\/probe\/items\/:id"/);
    expect(res.text).toMatch(/route="UNMATCHED",method="GET",status_code="404"/);
    expect(res.text).not.toContain('/probe/items/123');
  });

  it('runs pg-boss jobs on the same PostgreSQL', async () => {
    const jobs = app.api.app.get(JobsService);
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    jobs.register<{ word: string }>({
      name: 'test.echo',
      handler: async (data) => {
        seen.push(data.word);
        done();
      },
      work: { pollingIntervalSeconds: 0.5 },
    });
    await jobs.send('test.echo', { word: 'hello' });
    await finished;
    expect(seen).toEqual(['hello']);
  });

  it('enqueues a job inside a transaction only if it commits', async () => {
    const jobs = app.api.app.get(JobsService);
    const ds = app.api.app.get(DataSource);
    await ds
      .transaction(async (m) => {
        await jobs.sendInTransaction(m, 'test.tx', { n: 1 });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await ds.transaction(async (m) => {
      await jobs.sendInTransaction(m, 'test.tx', { n: 2 });
    });
    const rows = (await ds.query(`SELECT data FROM pgboss.job WHERE name = 'test.tx'`)) as { data: { n: number } }[];
    expect(rows.map((r) => r.data.n)).toEqual([2]);
  });

  it('survives its database connections being terminated (57P01) and keeps serving', async () => {
    const admin = new pg.Client({ connectionString: app.databaseUrl });
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    await admin.end();
    expect(rows[0].n).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await app.request('GET', '/health/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const again = await app.request('GET', '/probe/items/1');
    expect(again.status).toBe(200);
  });
});

describe('readiness follows the migrations', () => {
  it('is 503 before the migrations run and 200 after', async () => {
    const { url } = await freshDatabase({ migrated: false });
    const app = await startApp({ MIGRATIONS_RUN: 'false', JOBS_IN_API: 'false' }, { databaseUrl: url });
    try {
      const live = await app.request('GET', '/health/live');
      expect(live.status).toBe(200);
      const before = await app.request('GET', '/health/ready');
      expectError(before, 503, 'SERVICE_UNAVAILABLE');
      expect(before.body.message).toBe('Not ready: migrations down');

      const ds = new DataSource(
        buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: 'test', migrations }),
      );
      await ds.initialize();
      const applied = await runMigrations(ds);
      // a second runner finds nothing left to do
      const again = await runMigrations(ds);
      await ds.destroy();
      expect(applied).toEqual(migrations.map((m) => new m().name));
      expect(again).toEqual([]);

      const after = await app.request('GET', '/health/ready');
      expect(after.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
