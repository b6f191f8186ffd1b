import type { MigrationClass } from './data-source-options.js';

/**
 * What a context's Nest module declares about its data, as static members:
 * the PostgreSQL schema it owns and its migrations. The platform collects the
 * migrations from its list of context modules (no hand-kept list elsewhere).
 *
 *   @Module({...})
 *   export class TransitModule {
 *     static readonly schema = 'transit';
 *     static readonly migrations = transitMigrations;
 *   }
 */
export interface DataContext {
  readonly schema?: string;
  readonly migrations: readonly MigrationClass[];
}

/** The timestamp TypeORM orders migrations by: the digits that end the class name. */
export function migrationTimestamp(m: MigrationClass): number {
  const digits = /(\d{13})$/.exec(m.name);
  if (!digits) throw new Error(`Migration class ${m.name} must end with a 13-digit timestamp`);
  return Number(digits[1]);
}

/** Every context's migrations, in the order TypeORM applies them; two with one timestamp are refused. */
export function collectMigrations(contexts: readonly DataContext[]): MigrationClass[] {
  const all = contexts.flatMap((c) => c.migrations);
  const seen = new Map<number, string>();
  for (const m of all) {
    const t = migrationTimestamp(m);
    const other = seen.get(t);
    if (other && other !== m.name) throw new Error(`Migrations ${other} and ${m.name} share the timestamp ${t}`);
    seen.set(t, m.name);
  }
  return [...new Set(all)].sort((a, b) => migrationTimestamp(a) - migrationTimestamp(b));
}
