import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { createRootLogger, onUnhandledRejection } from '@app/common';
import { resolveDatabase } from '@app/database';
import { loadPlatformConfig } from '@app/platform';
import { WorkerModule } from './worker.module.js';

/**
 * Scale-out entry point: runs jobs only. Point it at the same DATABASE_URL as
 * the API replicas (which then run with JOBS_IN_API=false).
 */
async function main(): Promise<void> {
  const config = loadPlatformConfig();
  const log = createRootLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, service: `${config.SERVICE_NAME}-worker` });
  const database = await resolveDatabase(config, { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, database.url, log), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  log.info('City Pay worker running jobs');
  const stop = (signal: string): void => {
    log.info(`${signal} received; stopping worker`);
    app
      .close()
      .then(() => database.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'error during worker shutdown');
          process.exit(1);
        },
      );
  };
  process.on('unhandledRejection', (reason) => onUnhandledRejection(reason, (m) => log.warn(m)));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`City Pay worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
