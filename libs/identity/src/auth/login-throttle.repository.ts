import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** The login attempts of each phone in its current one-minute window (identity.login_throttle). */
@Injectable()
export class LoginThrottleRepository {
  /** Counts an attempt (a new window when the last one is over a minute old) in one upsert; answers the window's count. */
  async takeSlot(m: EntityManager, phone: string): Promise<number> {
    const [row] = (await m.query(
      `INSERT INTO identity.login_throttle AS t (phone, window_started_at, attempts) VALUES ($1, now(), 1)
       ON CONFLICT (phone) DO UPDATE SET
         attempts = CASE WHEN t.window_started_at <= now() - interval '60 seconds' THEN 1 ELSE t.attempts + 1 END,
         window_started_at = CASE WHEN t.window_started_at <= now() - interval '60 seconds' THEN now() ELSE t.window_started_at END
       RETURNING attempts`,
      [phone],
    )) as { attempts: number }[];
    return row.attempts;
  }

  async giveBack(m: EntityManager, phone: string): Promise<void> {
    await m.query(`UPDATE identity.login_throttle SET attempts = GREATEST(attempts - 1, 0) WHERE phone = $1`, [phone]);
  }
}
