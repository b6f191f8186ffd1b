import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdentityConfig } from '../identity.config.js';
import { LoginThrottleRepository } from './login-throttle.repository.js';

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
    private readonly repository: LoginThrottleRepository,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  /** Whether this attempt is within the limit, and whether it is the first one refused in its window. */
  async take(phone: string): Promise<{ allowed: boolean; firstRefused: boolean }> {
    const attempts = await this.repository.takeSlot(this.dataSource.manager, phone);
    const limit = this.config.LOGIN_FAILURES_PER_MINUTE;
    return { allowed: attempts <= limit, firstRefused: attempts === limit + 1 };
  }

  async giveBack(phone: string): Promise<void> {
    await this.repository.giveBack(this.dataSource.manager, phone);
  }
}
