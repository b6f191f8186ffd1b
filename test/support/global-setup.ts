import { EmbeddedDatabase } from '../../libs/database/src/embedded-postgres.ts';

/**
 * E2E runs on DATABASE_URL's server when set (CI: the machine's PostgreSQL
 * 15), else on an embedded PostgreSQL 15 under .test-data/. Workers read the
 * server URL from CITYPAY_TEST_SERVER_URL.
 */
export default async function globalSetup(): Promise<void> {
  process.env.CITYPAY_TEST_RUN_ID = String(process.pid);
  if (process.env.DATABASE_URL) {
    process.env.CITYPAY_TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const quiet = process.env.TEST_LOG_LEVEL === undefined;
  const embedded = new EmbeddedDatabase({
    dataDir: '.test-data',
    port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339),
    database: 'postgres',
    log: {
      info: (m) => (quiet ? undefined : console.log(m)),
      warn: (m) => console.warn(m),
      debug: () => undefined,
    },
  });
  const url = await embedded.start();
  process.env.CITYPAY_TEST_SERVER_URL = url;
  (globalThis as { __citypayEmbedded?: EmbeddedDatabase }).__citypayEmbedded = embedded;
}
