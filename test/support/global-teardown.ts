import pg from 'pg';
import type { EmbeddedDatabase } from '../../libs/database/src/embedded-postgres.ts';

/** Drops this run's worker databases, then stops the embedded server if one was started. */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.CITYPAY_TEST_SERVER_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`citypay_test_${process.env.CITYPAY_TEST_RUN_ID ?? process.pid}_%`],
      );
      for (const { datname } of rows) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    } catch {
      // best effort: the next run drops stale databases too
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const embedded = (globalThis as { __citypayEmbedded?: EmbeddedDatabase }).__citypayEmbedded;
  if (embedded) await embedded.stop();
}
