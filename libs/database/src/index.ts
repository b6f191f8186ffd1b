export { DatabaseModule, DATABASE_URL } from './database.module.js';
export type { DatabaseModuleOptions } from './database.module.js';
export { DatabaseHealthIndicator } from './database-health.js';
export { resolveDatabase } from './database-runtime.js';
export type { DatabaseRuntime } from './database-runtime.js';
export { EmbeddedDatabase, EmbeddedDatabaseError, EMBEDDED_PG_MAJOR } from './embedded-postgres.js';
export type { EmbeddedLog } from './embedded-postgres.js';
export { buildDataSourceOptions } from './data-source-options.js';
export type { MigrationClass, DataSourceSettings } from './data-source-options.js';
export { runMigrations, pendingMigrations, MIGRATIONS_TABLE, MIGRATIONS_SCHEMA } from './migrations.js';
export { permanentErrorListener } from './pool-errors.js';
export type { PoolErrorLog } from './pool-errors.js';
export { bigintTransformer } from './bigint.transformer.js';
export {
  withTransactionRetry,
  withRetry,
  isRetryableTransactionError,
  sqlState,
  RETRYABLE_SQLSTATES,
  isUniqueViolation,
  returnedRows,
  affectedRows,
} from './transaction.js';
export type { RetryOptions } from './transaction.js';
export { databaseMigrations } from './migrations/index.js';
export { collectMigrations, migrationTimestamp } from './data-context.js';
export type { DataContext } from './data-context.js';
export { moveToSchema, moveToPublic } from './schema-move.js';
export type { SchemaObjects } from './schema-move.js';
export { ReplicaReads } from './read-replica.js';
export { preparedQuery } from './prepared-query.js';
export { functionDefinition, rewriteDefinition } from './function-definition.js';
