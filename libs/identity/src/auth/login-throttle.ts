import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdentityConfig } from '../identity.config.js';

/**
 * Failed logins per phone per minute, shared by every API replica through
 * PostgreSQL. An attempt takes a slot before the password is checked (one
 * atomic upsert, so parallel guesses cannot all slip under the limit); a
 * successful login gives its slot back.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  /** Whether this attempt is within the limit, and whether it is the first one refused in its window. */
  async take(phone: string): Promise<{ allowed: boolean; firstRefused: boolean }> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO identity.login_throttle AS t (phone, window_started_at, attempts) VALUES ($1, now(), 1)
       ON CONFLICT (phone) DO UPDATE SET
         attempts = CASE WHEN t.window_started_at <= now() - interval '60 seconds' THEN 1 ELSE t.attempts + 1 END,
         window_started_at = CASE WHEN t.window_started_at <= now() - interval '60 seconds' THEN now() ELSE t.window_started_at END
       RETURNING attempts`,
      [phone],
    )) as { attempts: number }[];
    const limit = this.config.LOGIN_FAILURES_PER_MINUTE;
    return { allowed: row.attempts <= limit, firstRefused: row.attempts === limit + 1 };
  }

  async giveBack(phone: string): Promise<void> {
    await this.dataSource.query(`UPDATE identity.login_throttle SET attempts = GREATEST(attempts - 1, 0) WHERE phone = $1`, [phone]);
  }
}
