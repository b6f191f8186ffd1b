import { Idempotency1763700150000, IdempotencyOwners1763700500000 } from '@app/common';
import { databaseMigrations } from '@app/database';
import type { MigrationClass } from '@app/database';
import { identityMigrations } from '@app/identity';
import { billingMigrations } from '@app/billing';
import { ledgerMigrations } from '@app/ledger';
import { paymentsMigrations } from '@app/payments';
import { providerSandboxMigrations } from '@app/provider-sandbox';

/** Every context's migrations, in one list for the DataSource (and `npm run db:migrate`). */
// in timestamp order, the order TypeORM applies them
export const migrations: MigrationClass[] = [
  ...databaseMigrations,
  ...identityMigrations,
  Idempotency1763700150000,
  ...ledgerMigrations,
  ...providerSandboxMigrations,
  ...paymentsMigrations,
  ...billingMigrations,
  IdempotencyOwners1763700500000,
];
