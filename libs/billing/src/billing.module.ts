import { Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { IdentityModule, OrganizationProfiles } from '@app/identity';
import { JobsService } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { PaymentsModule } from '@app/payments';
import { NotificationsModule } from '@app/notifications';
import { BILL_DUE_JOB, BillNotices } from './bill-notices.service.js';
import { BillNoticesRepository } from './bill-notices.repository.js';
import { BillPaymentsController, BillersController, MyBillsController } from './billing.controllers.js';
import { AutopayService } from './autopay.service.js';
import { BillCaptureHook } from './bill-capture.service.js';
import { BillPaymentsRepository } from './bill-payments.repository.js';
import { BillReceiptsService } from './bill-receipts.service.js';
import { BillSettlementsService } from './bill-settlements.service.js';
import { PayBillService } from './pay-bill.service.js';
import { AUTOPAY_JOB, BillsService } from './bills.service.js';

import { BillerProfile } from './biller-profile.js';
import { WebhooksService } from './webhooks.service.js';
import { BillingConfig } from './billing.config.js';
import { billingMigrations } from './migrations/index.js';
import { billingEntities } from './entities/index.js';
import { BillerAccountsRepository } from './biller-accounts.repository.js';
import { BillersRepository } from './billers.repository.js';
import { BillsRepository } from './bills.repository.js';

/** Registers the auto-pay and bill-due jobs, and the biller profile of organisations. */
class BillingJobs implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly autopay: AutopayService,
    private readonly profiles: OrganizationProfiles,
    private readonly notices: BillNotices,
    private readonly config: BillingConfig,
    private readonly billers: BillersRepository,
  ) {}

  onModuleInit(): void {
    this.profiles.register(new BillerProfile(this.billers));
    // with metadata: a job knows its last try
    const last = (job: object) => {
      const j = job as { retryCount?: number; retryLimit?: number };
      return j.retryCount !== undefined && j.retryLimit !== undefined && j.retryCount >= j.retryLimit;
    };
    const work = { pollingIntervalSeconds: 0.5, includeMetadata: true } as const;
    this.jobs.register<{ attemptId: string }>({ name: AUTOPAY_JOB, work, handler: ({ attemptId }, job) => this.autopay.runAutopay(attemptId, last(job)) });
    this.jobs.register({ name: BILL_DUE_JOB, cron: this.config.BILL_DUE_CRON, handler: async () => void (await this.notices.remindDue()) });
  }
}

/**
 * Bill payment (api.md, Bill payment): billers, bulk loads, bill fetch,
 * linked accounts, payment by wallet or provider, receipts, settlement,
 * webhooks, auto-pay, bill notices. Meets other modules only in identity,
 * ledger, payments and notifications.
 */
@Module({
  imports: [IdentityModule, LedgerModule, PaymentsModule, NotificationsModule],
  controllers: [BillersController, MyBillsController, BillPaymentsController],
  providers: [
    BillersRepository,
    BillsRepository,
    BillerAccountsRepository,
    BillsService,
    WebhooksService,
    BillPaymentsRepository,
    PayBillService,
    BillCaptureHook,
    BillReceiptsService,
    BillSettlementsService,
    AutopayService,
    BillNoticesRepository,
    BillNotices,
    {
      provide: BillingJobs,
      inject: [JobsService, AutopayService, OrganizationProfiles, BillNotices, BillingConfig, BillersRepository],
      useFactory: (j: JobsService, p: AutopayService, o: OrganizationProfiles, n: BillNotices, c: BillingConfig, b: BillersRepository) => new BillingJobs(j, p, o, n, c, b),
    },
  ],
})
export class BillingModule {
  static readonly schema = 'billing';
  static readonly config = BillingConfig;
  static readonly migrations = billingMigrations;
  static readonly entities = billingEntities;
}
