import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { JobsService } from '@app/jobs';
import { freshDatabase } from '../support/database.js';
import { eventually } from '../support/payments.js';

/**
 * Stopping the jobs while pg-boss's pool is busy: the workers' polls that
 * wait for a connection must still run (or give up) before the pool closes.
 * pg-pool's end() never answers requests queued for a connection, and a
 * worker whose poll never comes back keeps pg-boss's stop loop (a 1-s
 * timer, again and again) and so the process alive after a stop.
 */
describe('stopping the jobs with polls queued for a connection', () => {
  let url: string;
  let admin: pg.Client;

  beforeAll(async () => {
    ({ url } = await freshDatabase());
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  /** Jobs with more queues than pg-boss has connections, each polled every 0.5 s; their polls blocked by a lock on the job table. */
  async function busyJobs(): Promise<{ jobs: JobsService; pool: pg.Pool }> {
    const jobs = new JobsService(url, { runWorkers: true, applicationName: 'jobs-shutdown-test' });
    for (let i = 0; i < 8; i++) {
      jobs.register({ name: `test.shutdown-${i}`, handler: async () => undefined, work: { pollingIntervalSeconds: 0.5 } });
    }
    await jobs.onApplicationBootstrap();
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE pgboss.job IN ACCESS EXCLUSIVE MODE');
    const pool = (jobs as unknown as { pool: pg.Pool }).pool;
    // every connection is in a blocked poll and more polls wait for one: the case at hand
    await eventually(async () => pool.totalCount === 4 && pool.idleCount === 0 && pool.waitingCount > 0, 10_000, 'polls queued for a connection');
    return { jobs, pool };
  }

  it('lets the queued polls run once the database answers, then closes the pool with nothing left waiting', async () => {
    const { jobs, pool } = await busyJobs();
    const started = Date.now();
    const stopped = jobs.onApplicationShutdown();
    await new Promise((r) => setTimeout(r, 300));
    await admin.query('ROLLBACK'); // the lock goes: the blocked polls finish, the queued ones get their connection
    await stopped;
    expect(pool.waitingCount).toBe(0);
    expect(pool.totalCount).toBe(0);
    expect(pool.ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
  }, 30_000);
});
