import { ConfigError } from '@app/config';
import { loadPlatformConfig } from '@app/platform';
import { createApi } from './bootstrap.js';

async function main(): Promise<void> {
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
  const started = Date.now();
  const api = await createApi(config);
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
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`City Pay API failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
