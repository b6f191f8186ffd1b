import { runMigrations } from '@app/database';
import { withDatabase } from './with-database.js';

/** `npm run db:migrate`: applies pending migrations and exits (the production deploy step). */
withDatabase('migrate', (dataSource, log) => runMigrations(dataSource, { info: (m) => log.info(m) })).catch((err: unknown) => {
  process.stderr.write(`Migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
