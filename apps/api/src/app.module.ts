import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { AppConfigModule } from '@app/config';
import { httpLoggingParams, MetricsModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { JobsModule } from '@app/jobs';
import { HealthController } from './health/health.controller.js';
import { migrations, PlatformModule, type PlatformConfig } from '@app/platform';

export interface AppModuleOptions {
  config: PlatformConfig;
  databaseUrl: string;
  logger: PinoInstance;
  imports?: ModuleImport[];
}

export type ModuleImport = NonNullable<DynamicModule['imports']>[number];

/** Composition only: which modules make up the API process. */
@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, logger, imports = [] }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(httpLoggingParams(logger)),
        MetricsModule,
        DatabaseModule.forRoot({ url: databaseUrl, config, migrations }),
        JobsModule.forRoot({ runWorkers: config.JOBS_IN_API, applicationName: config.SERVICE_NAME }),
        PlatformModule.forRoot(config),
        ...imports,
      ],
      controllers: [HealthController],
    };
  }
}
