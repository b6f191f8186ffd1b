import type { AppConfig } from '@app/config';
import { EmbeddedDatabase, type EmbeddedLog } from './embedded-postgres.js';

/** Where the platform's database lives for this process, and how to let go of it. */
export interface DatabaseRuntime {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * `DATABASE_URL` set: that server. Unset: an embedded PostgreSQL 15 under
 * DATA_DIR, started now and stopped by `stop()` (after the app has closed its
 * connections).
 */
export async function resolveDatabase(config: AppConfig, log: EmbeddedLog): Promise<DatabaseRuntime> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  const embedded = new EmbeddedDatabase({
    dataDir: config.DATA_DIR,
    port: config.EMBEDDED_PG_PORT,
    database: config.EMBEDDED_PG_DATABASE,
    log,
  });
  const url = await embedded.start();
  return { url, embedded: true, stop: () => embedded.stop() };
}
