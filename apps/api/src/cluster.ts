import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { createRootLogger, onUnhandledRejection } from '@app/common';
import { withGeneratedSecrets } from '@app/config';
import { buildDataSourceOptions, resolveDatabase, runMigrations } from '@app/database';
import { migrations, type PlatformConfig } from '@app/platform';

/** A worker dying this often within this window means it cannot start: the primary gives up. */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;

/**
 * WEB_CONCURRENCY > 1: this process is the primary of a node:cluster. It
 * starts the embedded database (once), fills the generated secrets (once, so
 * every worker signs and verifies with the same keys), applies migrations
 * (once), then forks the API workers, which share PORT (the primary hands out
 * connections round-robin). The first worker is started alone, so that start-up
 * work done once per database (the administrator, the sandbox's merchant
 * accounts) never races; the others follow once it listens. A worker that dies
 * is replaced; SIGTERM/SIGINT stop the workers (each drains its requests) and
 * then the embedded database. Jobs need nothing here: pg-boss hands each job to
 * one worker (SKIP LOCKED) and fires each schedule once a minute across all of
 * them; idempotency keys, the login limit and notifications live in PostgreSQL.
 */
export async function runPrimary(appConfig: PlatformConfig): Promise<void> {
  const config = withGeneratedSecrets(appConfig);
  const log = createRootLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, service: config.SERVICE_NAME }).child({ context: 'Cluster' });
  process.on('unhandledRejection', (reason) => onUnhandledRejection(reason, (m) => log.warn(m)));
  const database = await resolveDatabase(config, { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) });

  try {
    if (config.MIGRATIONS_RUN) await migrate(database.url, config, log);
  } catch (err) {
    await database.stop();
    throw err;
  }

  const workerEnv = {
    // the embedded server's URL when the primary started one: workers use it as any external database
    DATABASE_URL: database.url,
    MIGRATIONS_RUN: 'false',
  };
  const crashes: number[] = [];
  let stopping = false;

  // workers run the server's entry (main.js beside this module, or the bundle this module is in),
  // not whatever started the primary (npm start's build check)
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./main.js', import.meta.url)) });
  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv);
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && crashes[0] < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length >= CRASH_LIMIT) {
        log.error(`API worker ${worker.process.pid} exited (${signal ?? code}); ${crashes.length} exits within a minute: stopping`);
        void stop('crash loop', 1);
        return;
      }
      log.error(`API worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      setTimeout(() => stopping || fork(), RESTART_DELAY_MS).unref();
    });
    return worker;
  };

  const stop = async (reason: string, exitCode = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${reason}; stopping ${Object.keys(cluster.workers ?? {}).length} API workers`);
    const force = setTimeout(() => {
      log.error('Workers took too long to stop; killing them');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    }, config.SHUTDOWN_GRACE_MS + 10_000);
    force.unref();
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    clearTimeout(force);
    await database.stop().catch((err: unknown) => log.error({ err }, 'Could not stop the embedded database'));
    log.info('Stopped cleanly');
    process.exit(exitCode);
  };
  process.once('SIGTERM', () => void stop('SIGTERM received'));
  process.once('SIGINT', () => void stop('SIGINT received'));

  const first = fork();
  await new Promise<void>((resolve, reject) => {
    first.once('listening', () => resolve());
    first.once('exit', (code) => reject(new Error(`the first API worker exited (${code}) before listening`)));
  }).catch(async (err: unknown) => {
    stopping = true;
    await database.stop();
    throw err;
  });
  for (let i = 1; i < config.WEB_CONCURRENCY; i++) fork();
  log.info({ workers: config.WEB_CONCURRENCY, port: config.PORT }, `City Pay API: ${config.WEB_CONCURRENCY} workers on port ${config.PORT}`);
}

async function migrate(url: string, config: PlatformConfig, log: { info(m: string): void }): Promise<void> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: `${config.SERVICE_NAME}-migrate`, migrations }),
  );
  await dataSource.initialize();
  try {
    await runMigrations(dataSource, { info: (m) => log.info(m) });
  } finally {
    await dataSource.destroy();
  }
}
