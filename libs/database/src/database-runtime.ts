import { AppConfig } from '@app/config';
import { EmbeddedDatabase, type EmbeddedLog } from './embedded-postgres.js';

const DEFAULT_DATA_DIR = new AppConfig().DATA_DIR;
/** Where, as root, the embedded cluster of a checkout the postgres user cannot reach goes (one folder per checkout path). */
const FALLBACK_DATA_ROOT = '/var/lib/city-pay';

/** Where the platform's database lives for this process, and how to let go of it. */
export interface DatabaseRuntime {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * `DATABASE_URL` set: that server. Unset: an embedded PostgreSQL 15 under
 * DATA_DIR, started now and stopped by `stop()` (after the app has closed its
 * connections); with `attach`, the one a running process already serves
 * there, if any (left running by `stop()`).
 */
export async function resolveDatabase(config: AppConfig, log: EmbeddedLog, options: { attach?: boolean } = {}): Promise<DatabaseRuntime> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  const embedded = new EmbeddedDatabase({
    dataDir: config.DATA_DIR,
    // only the default location moves (as root, when the postgres user cannot reach it): an explicit DATA_DIR is honoured or refused
    fallbackRoot: config.DATA_DIR === DEFAULT_DATA_DIR ? FALLBACK_DATA_ROOT : undefined,
    port: config.EMBEDDED_PG_PORT,
    database: config.EMBEDDED_PG_DATABASE,
    log,
  });
  // a one-shot command next to a running `npm start` uses that server (the data directory is its)
  const running = options.attach ? embedded.runningServer() : undefined;
  if (running) {
    log.info(`Using the embedded PostgreSQL already running on 127.0.0.1:${running.port} (pid ${running.pid}, ${embedded.dataDirectory})`);
    return { url: running.url, embedded: true, stop: async () => undefined };
  }
  const url = await embedded.start();
  return { url, embedded: true, stop: () => embedded.stop() };
}
