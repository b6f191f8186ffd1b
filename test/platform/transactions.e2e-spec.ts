import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, withTransactionRetry } from '@app/database';
import { migrations } from '@app/platform';
import { freshDatabase } from '../support/database.js';

describe('withTransactionRetry on real PostgreSQL', () => {
  let ds: DataSource;

  beforeAll(async () => {
    const { url } = await freshDatabase();
    ds = await new DataSource(
      buildDataSourceOptions({ url, poolSize: 20, statementTimeoutMs: 10_000, applicationName: 'test', migrations }),
    ).initialize();
    await ds.query('CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL)');
    await ds.query('INSERT INTO counters VALUES (1, 0)');
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  it('makes 20 concurrent SERIALIZABLE read-then-write increments all count', async () => {
    let aborted = 0;
    const increment = () =>
      withTransactionRetry(
        ds,
        async (m) => {
          const [{ n }] = (await m.query('SELECT n FROM counters WHERE id = 1')) as { n: string }[];
          await new Promise((r) => setTimeout(r, 5)); // widen the race window
          await m.query('UPDATE counters SET n = $1 WHERE id = 1', [BigInt(n) + 1n]).catch((e: unknown) => {
            aborted++;
            throw e;
          });
        },
        { isolation: 'SERIALIZABLE', attempts: 50 },
      );
    await Promise.all(Array.from({ length: 20 }, increment));
    const [{ n }] = (await ds.query('SELECT n FROM counters WHERE id = 1')) as { n: string }[];
    expect(n).toBe('20');
    // the race was real: PostgreSQL aborted some attempts and they were retried
    expect(aborted).toBeGreaterThan(0);
  });
});
