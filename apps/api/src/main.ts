import cluster from 'node:cluster';
import { setFlagsFromString } from 'node:v8';
import { isUnavailableError, onUnhandledRejection } from '@app/common';
import { ConfigError } from '@app/config';
import { loadPlatformConfig, type PlatformConfig } from '@app/platform';
import { createApi, type RunningApi } from './bootstrap.js';
import { runPrimary } from './cluster.js';

/**
 * How far V8 lets the old generation grow past what the last full
 * collection kept, in percent. V8 derives the factor from the machine's
 * memory (up to 4x on a large host): under payments, request objects that
 * outlive a couple of scavenges (each waits on PostgreSQL) are promoted, and
 * the API's heap grew from 60 MB of live objects to 200 MB of mostly garbage
 * before a full collection ran (bench/payments, RSS 330-385 MB). 1.5x keeps
 * the heap near what is live, at the price of a full collection every few
 * seconds under load (concurrent marking; no change measurable in CPU per
 * payment). Read by V8 at each collection, so setting it here, before the
 * server starts, takes effect. The young generation's cap cannot be set
 * here (V8 sizes it when the process starts): `npm start` passes
 * `--max-semi-space-size=16` on Node's command line.
 */
const HEAP_GROWING_PERCENT = 50;

/** Attempts at starting while the database is unreachable or restarting (about a second apart). */
const START_ATTEMPTS = 10;

/**
 * A database that is restarting, failing over or killing connections at the
 * moment the API starts is a reason to try again shortly, not to exit: the
 * start is retried while the failure is one of the database's availability.
 */
async function createApiWhenDatabaseAnswers(config: PlatformConfig): Promise<RunningApi> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createApi(config);
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !isUnavailableError(err)) throw err;
      process.stderr.write(`City Pay API could not start (the database: ${err instanceof Error ? err.message : String(err)}); retrying (${attempt})\n`);
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
    }
  }
}

async function main(): Promise<void> {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  let config;
  try {
    config = loadPlatformConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) {
    await runPrimary(config);
    return;
  }
  const started = Date.now();
  const api = await createApiWhenDatabaseAnswers(config);
  await api.app.listen({ port: config.PORT, host: config.HOST });
  api.logger.info(
    { port: config.PORT, embeddedDatabase: api.database.embedded, startupMs: Date.now() - started },
    `City Pay API listening on http://${config.HOST}:${config.PORT} (docs at /docs)`,
  );

  const shutdown = (signal: string): void => {
    api.logger.info(`${signal} received; shutting down`);
    const force = setTimeout(() => {
      api.logger.error('Shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 10_000);
    force.unref();
    api.close().then(
      () => {
        api.logger.info('Stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        api.logger.error({ err }, 'Error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('unhandledRejection', (reason) => onUnhandledRejection(reason, (m) => api.logger.warn(m)));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`City Pay API failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
