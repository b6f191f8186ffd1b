import { Module } from '@nestjs/common';
import { paymentsMigrations } from './migrations/index.js';
import type { DynamicModule, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { shanghaiDay } from '@app/common';
import { PaymentsConfig } from './payments.config.js';
import { JobsService } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { NotificationsModule } from '@app/notifications';
import { parseFxRates } from './domain/fx.js';
import { ProviderNotificationsController } from './orders/notifications.controller.js';
import { paymentsEntities } from './entities/index.js';
import { PaymentNotificationsService } from './orders/payment-notifications.service.js';
import { PaymentOrderSweep } from './orders/payment-order-sweep.service.js';
import { PaymentOrdersRepository } from './orders/payment-orders.repository.js';
import { FX_RATES, PaymentOrdersService } from './orders/payment-orders.service.js';
import { PaymentTransitions } from './orders/payment-transitions.service.js';
import { ReconciliationRepository } from './reconciliation/reconciliation.repository.js';
import { RefundsRepository } from './refunds/refunds.repository.js';
import { PaymentPurposes } from './orders/payment-purposes.js';
import { PROVIDER_CREDENTIALS } from './provider/credentials.js';
import type { ProviderCredentials } from './provider/credentials.js';
import { PlatformAddress } from './provider/platform-address.js';
import { PaymentProviders } from './provider/provider-registry.js';
import { ReconciliationController } from './reconciliation/reconciliation.controller.js';
import { ReconciliationService } from './reconciliation/reconciliation.service.js';
import { REFUND_JOB, RefundsService } from './refunds/refunds.service.js';
import { WalletTopUps, WalletTopUpsController } from './top-ups/wallet-top-ups.js';

export const SWEEP_JOB = 'payments.sweep';
export const RECONCILE_JOB = 'payments.reconcile';

export interface PaymentsModuleOptions {
  /** Modules the credentials provider needs (the sandbox, in sandbox mode). */
  imports?: DynamicModule['imports'];
  /** Provides PROVIDER_CREDENTIALS: a function loading the credentials (called on first use). */
  credentials: Provider<() => Promise<ProviderCredentials>>;
}

/** The pending-order sweep, refunds and the daily reconciliation, as pg-boss jobs. */
class PaymentJobs implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobsService,
    private readonly sweep: PaymentOrderSweep,
    private readonly refunds: RefundsService,
    private readonly reconciliation: ReconciliationService,
    private readonly config: PaymentsConfig,
  ) {}

  onModuleInit(): void {
    // 'stately': at most one sweep queued and one running, however many replicas tick.
    // A sweep left active by a process that was killed would block the next
    // one until it expires (pg-boss's default: 15 minutes): it expires after
    // 20 s instead (a second sweep running beside a slow live one is safe:
    // orders are claimed with SKIP LOCKED).
    this.jobs.register({
      name: SWEEP_JOB,
      queue: { policy: 'stately', expireInSeconds: 20 },
      work: { pollingIntervalSeconds: 0.5 },
      handler: async () => void (await this.sweep.sweep()),
    });
    this.jobs.register<{ refundId: string }>({
      name: REFUND_JOB,
      work: { pollingIntervalSeconds: 0.5 },
      handler: async ({ refundId }) => void (await this.refunds.process(refundId)),
    });
    this.jobs.register({
      name: RECONCILE_JOB,
      cron: this.config.RECONCILIATION_CRON,
      // the business day that has just ended in Shanghai
      handler: async () => void (await this.reconciliation.run(shanghaiDay(new Date(Date.now() - 24 * 3600_000)))),
    });
  }

  /** Every PAYMENT_QUERY_INTERVAL_MS, asks for a sweep (collapsed by the queue policy). */
  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.jobs.send(SWEEP_JOB, {}).catch(() => undefined);
    }, this.config.PAYMENT_QUERY_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

/**
 * The payment-provider layer: the PaymentProvider port and its adapters,
 * payment orders and their completion handlers, provider notifications,
 * wallet top-ups, refunds, reconciliation.
 */
@Module({
  imports: [LedgerModule, NotificationsModule],
  controllers: [WalletTopUpsController, ProviderNotificationsController, ReconciliationController],
  providers: [
    PlatformAddress,
    {
      provide: PaymentProviders,
      inject: [PROVIDER_CREDENTIALS, PlatformAddress],
      useFactory: (credentials: () => Promise<ProviderCredentials>, address: PlatformAddress) =>
        new PaymentProviders(credentials, (url) => address.resolve(url)),
    },
    {
      provide: FX_RATES,
      inject: [PaymentsConfig],
      useFactory: (config: PaymentsConfig) => parseFxRates(config.FX_RATES, config.FX_RATES_SOURCE, new Date(config.FX_RATES_AS_OF)),
    },
    PaymentPurposes,
    PaymentOrdersRepository,
    RefundsRepository,
    ReconciliationRepository,
    PaymentTransitions,
    PaymentOrdersService,
    PaymentNotificationsService,
    PaymentOrderSweep,
    RefundsService,
    ReconciliationService,
    WalletTopUps,
    {
      provide: PaymentJobs,
      inject: [JobsService, PaymentOrderSweep, RefundsService, ReconciliationService, PaymentsConfig],
      useFactory: (j: JobsService, o: PaymentOrderSweep, r: RefundsService, rc: ReconciliationService, c: PaymentsConfig) => new PaymentJobs(j, o, r, rc, c),
    },
  ],
  exports: [PaymentPurposes, PaymentOrdersService, PaymentOrderSweep, RefundsService, PaymentProviders],
})
export class PaymentsModule {
  static readonly schema = 'payments';
  static readonly config = PaymentsConfig;
  static readonly migrations = paymentsMigrations;
  static readonly entities = paymentsEntities;
}

/**
 * The providers' credentials (PROVIDER_CREDENTIALS), given by the
 * composition (sandbox keys or a file): the one thing of payments that is
 * global, so that PaymentsModule stays a plain module the business contexts
 * import.
 */
@Module({})
export class PaymentCredentialsModule {
  static forRoot(options: PaymentsModuleOptions): DynamicModule {
    return {
      module: PaymentCredentialsModule,
      global: true,
      imports: options.imports ?? [],
      providers: [options.credentials],
      exports: [PROVIDER_CREDENTIALS],
    };
  }
}
