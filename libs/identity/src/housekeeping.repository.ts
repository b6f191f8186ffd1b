import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affectedRows } from '@app/database';

/** The set-based deletes of identity's housekeeping (stale login windows, expired refresh-token families). */
@Injectable()
export class HousekeepingRepository {
  async deleteStaleLoginWindows(m: EntityManager): Promise<number> {
    return affectedRows(await m.query(`DELETE FROM identity.login_throttle WHERE window_started_at < now() - interval '10 minutes'`));
  }

  /** Whole refresh-token families whose newest token expired 30 days ago. */
  async deleteExpiredTokenFamilies(m: EntityManager): Promise<number> {
    return affectedRows(
      await m.query(
        `DELETE FROM identity.refresh_tokens WHERE session_id IN (
           SELECT session_id FROM identity.refresh_tokens GROUP BY session_id HAVING max(expires_at) < now() - interval '30 days')`,
      ),
    );
  }
}
