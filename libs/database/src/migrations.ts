import type { DataSource } from 'typeorm';

/** Same key for every process: migrations of N replicas run one at a time. */
const MIGRATION_LOCK_KEY = 7_310_001;
export const MIGRATIONS_TABLE = 'typeorm_migrations';
/** TypeORM's record of applied migrations lives in its own schema, not in `public`. */
export const MIGRATIONS_SCHEMA = 'platform';

export interface MigrationLog {
  info(message: string): void;
}

/** Runs pending migrations under a PostgreSQL advisory lock; returns the names applied. */
export async function runMigrations(dataSource: DataSource, log?: MigrationLog): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${MIGRATIONS_SCHEMA}`);
    // databases migrated before the contexts had schemas kept the record in public
    await runner.query(`
      DO $$ BEGIN
        IF to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AND to_regclass('${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}') IS NULL THEN
          ALTER TABLE public.${MIGRATIONS_TABLE} SET SCHEMA ${MIGRATIONS_SCHEMA};
        END IF;
      END $$`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    const names = applied.map((m) => m.name);
    if (log) {
      log.info(names.length ? `Applied migrations: ${names.join(', ')}` : 'Database schema is up to date');
    }
    return names;
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** Names of the migrations this build knows that the database has not applied. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const known = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  // before the first migration of this version, the record is still in public
  const [{ found }] = (await dataSource.query(`SELECT COALESCE(to_regclass($1), to_regclass($2))::text AS found`, [
    `${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`,
    `public.${MIGRATIONS_TABLE}`,
  ])) as { found: string | null }[];
  if (!found) return known;
  const rows = (await dataSource.query(`SELECT name FROM ${found}`)) as { name: string }[];
  const applied = new Set(rows.map((r) => r.name));
  return known.filter((n) => !applied.has(n));
}
