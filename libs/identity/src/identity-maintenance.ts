import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { affectedRows } from '@app/database';
import { JobsService } from '@app/jobs';

/** Housekeeping of identity tables, every minute on one worker. */
@Injectable()
export class IdentityMaintenance implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobsService,
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
    const del = async (sql: string): Promise<number> => affectedRows(await this.dataSource.query(sql));
    return {
      signatures: await del(`DELETE FROM identity.device_signatures WHERE expires_at < now()`),
      throttles: await del(`DELETE FROM identity.login_throttle WHERE window_started_at < now() - interval '10 minutes'`),
      refreshTokens: await del(
        `DELETE FROM identity.refresh_tokens WHERE session_id IN (
           SELECT session_id FROM identity.refresh_tokens GROUP BY session_id HAVING max(expires_at) < now() - interval '30 days')`,
      ),
    };
  }
}
