import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobsService } from '@app/jobs';
import { DevicesRepository } from './devices/devices.repository.js';
import { HousekeepingRepository } from './housekeeping.repository.js';

/** Housekeeping of identity tables, every minute on one worker. */
@Injectable()
export class IdentityMaintenance implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobsService,
    private readonly devices: DevicesRepository,
    private readonly housekeeping: HousekeepingRepository,
  ) {}

  onModuleInit(): void {
    this.jobs.register({
      name: 'identity.cleanup',
      cron: '* * * * *',
      handler: async () => {
        await this.cleanup();
      },
    });
  }

  /**
   * Expired replay-store entries, stale login windows, and whole refresh-token
   * families (a session's tokens reference their parents) once the newest
   * token of the session expired 30 days ago: spent tokens of a live family
   * are kept, so that their reuse is still recognised.
   */
  async cleanup(): Promise<{ signatures: number; throttles: number; refreshTokens: number }> {
    const m = this.dataSource.manager;
    return {
      signatures: await this.devices.deleteExpiredSignatures(m),
      throttles: await this.housekeeping.deleteStaleLoginWindows(m),
      refreshTokens: await this.housekeeping.deleteExpiredTokenFamilies(m),
    };
  }
}
