import { IdempotencyModule } from '@app/common';
import { BillingModule } from '@app/billing';
import { CampusModule } from '@app/campus';
import { AppConfig, type ConfigSection, configDefaults, loadConfigFromEnvironment, validateConfig } from '@app/config';
import { TransitModule } from '@app/transit';
import { collectMigrations, DatabaseModule, type DataContext } from '@app/database';
import type { MigrationClass } from '@app/database';
import { IdentityModule, type IdentityConfig } from '@app/identity';
import { LedgerModule } from '@app/ledger';
import { NotificationsModule, type NotificationsConfig } from '@app/notifications';
import { PaymentsModule, type PaymentsConfig } from '@app/payments';
import { PaycodeKeysModule, type PaycodeKeysConfig } from '@app/paycode-keys';
import { ProviderSandboxModule } from '@app/provider-sandbox';
import type { BillingConfig } from '@app/billing';

/**
 * What a context's module declares about itself, as static members: the
 * schema it owns and its migrations (DataContext), and the class of its
 * settings (a ConfigSection, validated at start, injectable by its class).
 */
export interface ContextModule extends DataContext {
  readonly config?: ConfigSection;
  /** Its TypeORM entities (schema-qualified), registered with every DataSource of the platform. */
  readonly entities?: readonly EntityClass[];
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type of an entity class
export type EntityClass = Function;

/** Every context of the platform. A new context is one line here (and its module in PlatformModule's imports). */
export const CONTEXTS: readonly ContextModule[] = [
  DatabaseModule,
  IdempotencyModule,
  IdentityModule,
  LedgerModule,
  NotificationsModule,
  ProviderSandboxModule,
  PaymentsModule,
  BillingModule,
  CampusModule,
  PaycodeKeysModule,
  TransitModule,
];

/** Every context's migrations in the order TypeORM applies them, for the DataSource (and `npm run db:migrate`). */
export const migrations: MigrationClass[] = collectMigrations(CONTEXTS);

/** Every context's entities, for the DataSource (PlatformModule registers them; one-shot commands pass them). */
export const entities: EntityClass[] = CONTEXTS.flatMap((c) => c.entities ?? []);

/** Every context's settings class. */
export const CONFIG_SECTIONS: readonly ConfigSection[] = CONTEXTS.flatMap((c) => (c.config ? [c.config] : []));

/** The whole configuration: the process settings and every context's section. */
export type PlatformConfig = AppConfig & IdentityConfig & PaymentsConfig & BillingConfig & PaycodeKeysConfig & NotificationsConfig;

/** Validates raw variables into the whole configuration (see validateConfig). */
export function validatePlatformConfig(raw: Record<string, string | undefined>): PlatformConfig {
  return validateConfig<PlatformConfig>(raw, CONFIG_SECTIONS);
}

/** Reads the environment (and `.env`) into the whole configuration. */
export function loadPlatformConfig(overrides: Record<string, string | undefined> = {}): PlatformConfig {
  return loadConfigFromEnvironment<PlatformConfig>(CONFIG_SECTIONS, overrides);
}

/** Names and defaults of every setting of every context, for `.env.example`. */
export function platformConfigDefaults(): Record<string, unknown> {
  return configDefaults(CONFIG_SECTIONS);
}
