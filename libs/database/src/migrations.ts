import type { DataSource } from 'typeorm';

/** Same key for every process: migrations of N replicas run one at a time. */
const MIGRATION_LOCK_KEY = 7_310_001;
export const MIGRATIONS_TABLE = 'typeorm_migrations';

export interface MigrationLog {
  info(message: string): void;
}

/** Runs pending migrations under a PostgreSQL advisory lock; returns the names applied. */
export async function runMigrations(dataSource: DataSource, log?: MigrationLog): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
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
  const [{ present }] = (await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
    `public.${MIGRATIONS_TABLE}`,
  ])) as { present: boolean }[];
  if (!present) return known;
  const rows = (await dataSource.query(`SELECT name FROM ${MIGRATIONS_TABLE}`)) as { name: string }[];
  const applied = new Set(rows.map((r) => r.name));
  return known.filter((n) => !applied.has(n));
}
