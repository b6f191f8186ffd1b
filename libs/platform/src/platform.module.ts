import { Module } from '@nestjs/common';
import type { DynamicModule, OnModuleInit } from '@nestjs/common';
import { IdempotencyModule, IdempotencyService } from '@app/common';
import { BillingModule } from '@app/billing';
import { CampusModule } from '@app/campus';
import { TransitModule } from '@app/transit';
import { IdentityModule } from '@app/identity';
import { JobsService } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { NotificationsModule } from '@app/notifications';
import { PaymentCredentialsModule, PaymentsConfig, PaymentsModule, PROVIDER_CREDENTIALS } from '@app/payments';
import { PaycodeKeysModule } from '@app/paycode-keys';
import { TypeOrmModule } from '@nestjs/typeorm';
import { entities, type PlatformConfig } from './contexts.js';
import { ProviderSandboxModule, SandboxKeysService } from '@app/provider-sandbox';
import { loadProviderCredentials } from './provider-credentials.js';

/** Purges idempotency keys past their 24 hours, hourly. */
class IdempotencyMaintenance implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly store: IdempotencyService,
  ) {}

  onModuleInit(): void {
    this.jobs.register({ name: 'idempotency.purge', cron: '17 * * * *', handler: async () => void (await this.store.purgeExpired()) });
  }
}

/** Every module of the platform, shared by the API and the worker. */
@Module({})
export class PlatformModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    const sandbox = config.PAYMENT_PROVIDERS === 'sandbox';
    return {
      module: PlatformModule,
      imports: [
        // every context's entities, on the DataSource of DatabaseModule (autoLoadEntities)
        TypeOrmModule.forFeature(entities),
        IdempotencyModule.forRoot({ waitMs: config.IDEMPOTENCY_WAIT_MS }),
        IdentityModule,
        LedgerModule,
        NotificationsModule,
        // the sandbox gateways are served only in sandbox mode; the platform reaches them over HTTP
        ...(sandbox ? [ProviderSandboxModule] : []),
        PaymentCredentialsModule.forRoot({
          imports: sandbox ? [ProviderSandboxModule] : [],
          credentials: {
            provide: PROVIDER_CREDENTIALS,
            inject: [PaymentsConfig, ...(sandbox ? [SandboxKeysService] : [])],
            useFactory: (c: PaymentsConfig, keys?: SandboxKeysService) => () => loadProviderCredentials(c, keys),
          },
        }),
        PaymentsModule,
        BillingModule,
        CampusModule,
        TransitModule,
        PaycodeKeysModule,
      ],
      providers: [{ provide: IdempotencyMaintenance, inject: [JobsService, IdempotencyService], useFactory: (j: JobsService, s: IdempotencyService) => new IdempotencyMaintenance(j, s) }],
    };
  }
}
