import { Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { IdentityModule, OrganizationProfiles } from '@app/identity';
import { JobsService } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { NotificationsModule } from '@app/notifications';
import { PaycodeKeysModule } from '@app/paycode-keys';
import { PaymentsModule } from '@app/payments';
import { MerchantProfile, UniversityProfile } from './campus-profiles.js';
import { CampusRepository } from './campus.repository.js';
import { CampusCardsController, CampusPosController, CampusUniversityController } from './campus.controllers.js';
import { CardsService } from './cards.service.js';
import { ChargesService } from './charges.service.js';
import { CampusCodeKeys } from './code-keys.js';
import { campusMigrations } from './migrations/index.js';
import { SUBSIDY_EXPIRY_JOB, SubsidiesService } from './subsidies.service.js';

/** Registers the university and campus-merchant profiles of organisations, and the subsidy expiry job. */
class CampusSetup implements OnModuleInit {
  constructor(
    private readonly profiles: OrganizationProfiles,
    private readonly jobs: JobsService,
    private readonly subsidies: SubsidiesService,
  ) {}

  onModuleInit(): void {
    this.profiles.register(new UniversityProfile());
    this.profiles.register(new MerchantProfile());
    const expire = async () => void (await this.subsidies.expireDue());
    // one job per batch at its expiresAt, and a sweep every minute in case one was missed
    this.jobs.register({ name: SUBSIDY_EXPIRY_JOB, work: { pollingIntervalSeconds: 0.5 }, handler: expire });
    this.jobs.register({ name: `${SUBSIDY_EXPIRY_JOB}-sweep`, cron: '* * * * *', handler: expire });
  }
}

/**
 * Campus card (api.md "Campus card", "Campus purses, PIN, offline POS"):
 * universities and campus merchants (profiles of organisations), rosters,
 * cards as ledger accounts with two purses, card codes, online and offline
 * POS charges, refunds, subsidies and their expiry, settlements.
 */
@Module({
  imports: [IdentityModule, LedgerModule, PaymentsModule, NotificationsModule, PaycodeKeysModule],
  controllers: [CampusUniversityController, CampusCardsController, CampusPosController],
  providers: [
    CampusRepository,
    CardsService,
    ChargesService,
    SubsidiesService,
    CampusCodeKeys,
    {
      provide: CampusSetup,
      inject: [OrganizationProfiles, JobsService, SubsidiesService],
      useFactory: (p: OrganizationProfiles, j: JobsService, s: SubsidiesService) => new CampusSetup(p, j, s),
    },
  ],
})
export class CampusModule {
  static readonly schema = 'campus';
  static readonly migrations = campusMigrations;
}
