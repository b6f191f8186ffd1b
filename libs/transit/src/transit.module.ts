import { Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { IdentityModule, OrganizationProfiles } from '@app/identity';
import { JobsService } from '@app/jobs';
import { LedgerModule } from '@app/ledger';
import { NotificationsModule } from '@app/notifications';
import { PaymentsModule } from '@app/payments';
import { PaycodeKeysModule, PaycodeKeysService } from '@app/paycode-keys';
import { ChargesService } from './charges.service.js';
import { transitMigrations } from './migrations/index.js';
import { OperatorProfile } from './operator-profile.js';
import { RIDE_CODE_KEYS } from './ride-code-keys.js';
import { RidersService } from './riders.service.js';
import { RoutesService } from './routes.service.js';
import { TapsService } from './taps.service.js';
import { TransitController } from './transit.controller.js';
import { TripsService } from './trips.service.js';

export const OVERDUE_TAP_INS_JOB = 'transit.overdue-tap-ins';
export const HELD_TAP_OUTS_JOB = 'transit.held-tap-outs';

/** Registers the TRANSIT_OPERATOR profile, the missing tap-out job (every minute) and the held tap-outs job (every 10 minutes). */
class TransitJobs implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly trips: TripsService,
    private readonly taps: TapsService,
    private readonly profiles: OrganizationProfiles,
  ) {}

  onModuleInit(): void {
    this.profiles.register(new OperatorProfile());
    this.jobs.register({ name: OVERDUE_TAP_INS_JOB, cron: '* * * * *', handler: async () => void (await this.trips.chargeOverdue(new Date())) });
    this.jobs.register({ name: HELD_TAP_OUTS_JOB, cron: '*/10 * * * *', handler: async () => void (await this.taps.expireHeldTapOuts(new Date())) });
  }
}

/**
 * Transit (api.md, Transit): operators, routes and fares, vehicles and their
 * bus-door stickers, ride codes verifiable offline, taps from bus readers in
 * batches, trips, arrears and the blocklist, scan-to-pay, settlements.
 * Schema `transit`; meets the other contexts in identity and the ledger.
 */
@Module({
  imports: [IdentityModule, LedgerModule, PaymentsModule, NotificationsModule, PaycodeKeysModule],
  controllers: [TransitController],
  providers: [
    ChargesService,
    RoutesService,
    RidersService,
    TapsService,
    TripsService,
    // ride codes are signed with the platform's shared pay-code keys (sealed at rest, rotated)
    { provide: RIDE_CODE_KEYS, useExisting: PaycodeKeysService },
    {
      provide: TransitJobs,
      inject: [JobsService, TripsService, TapsService, OrganizationProfiles],
      useFactory: (j: JobsService, t: TripsService, taps: TapsService, o: OrganizationProfiles) => new TransitJobs(j, t, taps, o),
    },
  ],
  exports: [TripsService, TapsService, RidersService],
})
export class TransitModule {
  static readonly schema = 'transit';
  static readonly migrations = transitMigrations;
}
