import type { DataSourceOptions, Logger, MigrationInterface } from 'typeorm';
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from './migrations.js';
import { permanentErrorListener, type PoolErrorLog } from './pool-errors.js';

export type MigrationClass = new () => MigrationInterface;

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName: string;
  migrations: MigrationClass[];
  entities?: DataSourceOptions['entities'];
  /** Where a pool client's connection errors are logged (they never crash the process either way). */
  log?: PoolErrorLog;
  /** Every SQL statement, text only (never its parameters), when the logger is at its most verbose. */
  sqlLog?: (sql: string) => void;
}

/**
 * TypeORM's logger hook, for the SQL trace only (errors reach callers as
 * exceptions and are logged once, by the exception filter, under the request's id).
 */
function sqlTrace(log: (sql: string) => void): Logger {
  return {
    logQuery: (query) => log(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
}

/** The one DataSource shape: schema only through migrations, never synchronize. */
export function buildDataSourceOptions(s: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: s.url,
    applicationName: s.applicationName,
    synchronize: false,
    migrationsRun: false,
    // the schema of TypeORM's own table; entities always name their schema
    schema: MIGRATIONS_SCHEMA,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    migrations: s.migrations,
    entities: s.entities ?? [],
    poolSize: s.poolSize,
    ...(s.sqlLog ? { logger: sqlTrace(s.sqlLog) } : {}),
    extra: {
      max: s.poolSize,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      onConnect: permanentErrorListener(s.log),
      ...(s.statementTimeoutMs > 0 ? { statement_timeout: s.statementTimeoutMs } : {}),
    },
  };
}
