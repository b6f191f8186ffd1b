import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { AppConfigModule } from '@app/config';
import { httpLoggingParams } from '@app/common';
import { DatabaseModule } from '@app/database';
import { JobsModule } from '@app/jobs';
import { migrations, PlatformModule, type PlatformConfig } from '@app/platform';

/** The worker: the same libs as the API, running background jobs only (no HTTP). */
@Module({})
export class WorkerModule {
  static forRoot(config: PlatformConfig, databaseUrl: string, logger: PinoInstance): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(httpLoggingParams(logger)),
        DatabaseModule.forRoot({ url: databaseUrl, config, migrations }),
        JobsModule.forRoot({ runWorkers: true, applicationName: `${config.SERVICE_NAME}-worker` }),
        PlatformModule.forRoot(config),
      ],
    };
  }
}
