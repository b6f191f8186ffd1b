import { DataSource } from 'typeorm';
import { ConfigError, loadConfigFromEnvironment } from '@app/config';
import { createRootLogger } from '@app/common';
import { buildDataSourceOptions, resolveDatabase, runMigrations } from '@app/database';
import { migrations } from '@app/platform';

/** `npm run db:migrate`: applies pending migrations and exits (the production deploy step). */
async function main(): Promise<void> {
  const config = loadConfigFromEnvironment();
  const log = createRootLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, service: `${config.SERVICE_NAME}-migrate` });
  const database = await resolveDatabase(config, { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) });
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: database.url, poolSize: 2, statementTimeoutMs: 0, applicationName: `${config.SERVICE_NAME}-migrate`, migrations }),
  );
  try {
    await dataSource.initialize();
    await runMigrations(dataSource, { info: (m) => log.info(m) });
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await database.stop();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`Migration failed: ${message}\n`);
  process.exit(1);
});
