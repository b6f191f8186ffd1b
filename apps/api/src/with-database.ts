import { DataSource } from 'typeorm';
import type { Logger as PinoInstance } from 'pino';
import { createRootLogger } from '@app/common';
import { buildDataSourceOptions, resolveDatabase } from '@app/database';
import { entities, loadPlatformConfig, migrations } from '@app/platform';

/**
 * For one-shot commands (db:migrate, ledger:verify): the configured database
 * (embedded or DATABASE_URL; the embedded server of a running `npm start`
 * when there is one) and a two-connection DataSource, closed and stopped
 * whatever `work` does.
 */
export async function withDatabase<T>(
  task: string,
  work: (dataSource: DataSource, log: PinoInstance) => Promise<T>,
  options: { quiet?: boolean } = {},
): Promise<T> {
  const config = loadPlatformConfig();
  const name = `${config.SERVICE_NAME}-${task}`;
  const log = createRootLogger({ level: options.quiet ? 'warn' : config.LOG_LEVEL, pretty: config.LOG_PRETTY, service: name });
  const database = await resolveDatabase(config, { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) }, { attach: true });
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: database.url, poolSize: 2, statementTimeoutMs: 0, applicationName: name, migrations, entities, log }),
  );
  try {
    await dataSource.initialize();
    return await work(dataSource, log);
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await database.stop();
  }
}
