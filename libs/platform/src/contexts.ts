import { IdempotencyModule } from '@app/common';
import { BillingModule } from '@app/billing';
import { CampusModule } from '@app/campus';
import { PaycodeKeysModule } from '@app/paycode-keys';
import { TransitModule } from '@app/transit';
import { collectMigrations, DatabaseModule, type DataContext } from '@app/database';
import type { MigrationClass } from '@app/database';
import { IdentityModule } from '@app/identity';
import { LedgerModule } from '@app/ledger';
import { PaymentsModule } from '@app/payments';
import { ProviderSandboxModule } from '@app/provider-sandbox';

/**
 * Every module that owns data: each declares its schema and migrations as
 * static members (see DataContext). A new context is one line here.
 */
export const DATA_CONTEXTS: readonly DataContext[] = [
  DatabaseModule,
  IdempotencyModule,
  IdentityModule,
  LedgerModule,
  ProviderSandboxModule,
  PaymentsModule,
  BillingModule,
  CampusModule,
  PaycodeKeysModule,
  TransitModule,
];

/** Every context's migrations in the order TypeORM applies them, for the DataSource (and `npm run db:migrate`). */
export const migrations: MigrationClass[] = collectMigrations(DATA_CONTEXTS);
