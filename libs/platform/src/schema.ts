import { databaseMigrations, type MigrationClass } from '@app/database';
import { identityMigrations } from '@app/identity';

/** Every context's migrations, in one list for the DataSource (and `npm run db:migrate`). */
export const migrations: MigrationClass[] = [...databaseMigrations, ...identityMigrations];
