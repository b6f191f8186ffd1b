import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { buildDataSourceOptions, type MigrationClass } from './data-source-options.js';
import { DatabaseHealthIndicator } from './database-health.js';
import { runMigrations } from './migrations.js';
import { READ_REPLICA_OPTIONS, ReplicaReads } from './read-replica.js';
import { databaseMigrations } from './migrations/index.js';

export const DATABASE_URL = Symbol('DATABASE_URL');

export interface DatabaseModuleOptions {
  url: string;
  config: AppConfig;
  migrations: MigrationClass[];
}

const poolLog = new Logger('DatabasePool');
/** SQL text at LOG_LEVEL=trace, under the request's id like every log line of a request. */
const sqlLog = new Logger('SQL');

@Global()
@Module({})
export class DatabaseModule {
  /** The baseline every context's migrations build on (public: the `set_updated_at()` trigger function, pgcrypto). */
  static readonly migrations = databaseMigrations;

  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    const { url, config, migrations } = options;
    return {
      module: DatabaseModule,
      imports: [
        TerminusModule,
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...buildDataSourceOptions({
              url,
              poolSize: config.DB_POOL_SIZE,
              statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
              applicationName: config.SERVICE_NAME,
              migrations,
              log: { warn: (m) => poolLog.warn(m) },
              ...(config.LOG_LEVEL === 'trace' ? { sqlLog: (sql: string) => sqlLog.verbose(sql) } : {}),
            }),
            autoLoadEntities: true,
            retryAttempts: 3,
            retryDelay: 1000,
          }),
          dataSourceFactory: async (dsOptions) => {
            const dataSource = await new DataSource(dsOptions!).initialize();
            if (config.MIGRATIONS_RUN) {
              const log = new Logger('Migrations');
              try {
                await runMigrations(dataSource, { info: (m) => log.log(m) });
              } catch (err) {
                await dataSource.destroy().catch(() => undefined); // a retry must not leak this pool
                throw err;
              }
            }
            return dataSource;
          },
        }),
      ],
      providers: [
        { provide: DATABASE_URL, useValue: url },
        {
          provide: READ_REPLICA_OPTIONS,
          useValue: {
            url: config.DATABASE_READ_URL,
            poolSize: config.DB_POOL_SIZE,
            statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
            applicationName: config.SERVICE_NAME,
          },
        },
        DatabaseHealthIndicator,
        ReplicaReads,
      ],
      exports: [DATABASE_URL, DatabaseHealthIndicator, TerminusModule, ReplicaReads],
    };
  }
}
