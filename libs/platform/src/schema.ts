import { databaseMigrations, MigrationClass } from '@app/database';

/** Every context's migrations, in one list for the DataSource (and `npm run db:migrate`). */
export const migrations: MigrationClass[] = [...databaseMigrations];
