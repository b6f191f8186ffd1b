import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { AppConfig, AppConfigModule } from '@app/config';
import { httpLoggingParams, MetricsModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { JobsModule } from '@app/jobs';
import { HealthController } from './health/health.controller.js';
import { migrations } from '@app/platform';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: PinoInstance;
}

/** Composition only: which modules make up the API process. */
@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, logger }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(httpLoggingParams(logger)),
        MetricsModule,
        DatabaseModule.forRoot({ url: databaseUrl, config, migrations }),
        JobsModule.forRoot({ runWorkers: config.JOBS_IN_API, applicationName: config.SERVICE_NAME }),
      ],
      controllers: [HealthController],
    };
  }
}
