import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RequestMeta } from '@app/common';
import { IdentityConfig } from '../identity.config.js';
import { AuditService } from '../audit/audit.service.js';
import { InvalidCredentialsError, RateLimitedError } from '../identity.errors.js';
import { toUserView, type UserRow, UsersService, type UserView } from '../users.service.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { type TokenPair, TokensService } from './tokens.service.js';

export interface AuthResult extends TokenPair {
  user: UserView;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  async register(phone: string, password: string, displayName: string | undefined, meta: RequestMeta): Promise<AuthResult> {
    const hash = await this.hasher.hash(password);
    return this.dataSource.transaction(async (m) => {
      const row = await this.users.create(phone, hash, displayName, m);
      const tokens = await this.tokens.openSession(row.id, m);
      await this.audit.record({ action: 'USER_REGISTERED', actorUserId: row.id, targetType: 'user', targetId: row.id, meta }, m);
      return { user: toUserView(row, []), ...tokens };
    });
  }

  /**
   * Checks a phone and password (passport-local). Every attempt takes a slot
   * of the per-phone limit first; unknown phones cost the same time as known
   * ones. Failures are audited.
   */
  async checkCredentials(phone: string, password: string, meta: RequestMeta): Promise<UserRow> {
    const attempt = await this.throttle.take(phone);
    if (!attempt.allowed) {
      if (attempt.firstRefused) {
        await this.audit.record({ action: 'LOGIN_THROTTLED', targetType: 'phone', targetId: phone, meta });
      }
      throw new RateLimitedError(`More than ${this.config.LOGIN_FAILURES_PER_MINUTE} failed logins a minute for this phone; try again later`);
    }
    const row = await this.users.findByPhone(phone);
    const ok = row ? await this.hasher.verify(row.password_hash, password) : (await this.hasher.burn(password), false);
    if (!row || !ok) {
      await this.audit.record({
        action: 'LOGIN_FAILED',
        actorUserId: row?.id ?? null,
        targetType: 'phone',
        targetId: phone,
        details: { reason: row ? 'WRONG_PASSWORD' : 'UNKNOWN_PHONE' },
        meta,
      });
      throw new InvalidCredentialsError();
    }
    await this.throttle.giveBack(phone);
    if (this.hasher.needsRehash(row.password_hash)) await this.rehash(row, password);
    return row;
  }

  /**
   * A hash stored with older settings is replaced at a successful login (the
   * only moment the password is known). Best effort: the login goes on if
   * it fails, and the next login tries again.
   */
  private async rehash(row: UserRow, password: string): Promise<void> {
    try {
      const fresh = await this.hasher.hash(password);
      if (await this.users.replaceHash(row.id, row.password_hash, fresh)) row.password_hash = fresh;
    } catch (err) {
      this.logger.warn({ err, userId: row.id }, 'password rehash failed; kept the old hash');
    }
  }

  async login(row: UserRow, meta: RequestMeta): Promise<AuthResult> {
    return this.dataSource.transaction(async (m) => {
      const tokens = await this.tokens.openSession(row.id, m);
      await this.audit.record({ action: 'LOGIN_SUCCEEDED', actorUserId: row.id, targetType: 'user', targetId: row.id, meta }, m);
      return { user: toUserView(row, await this.users.rolesOf(row.id, m)), ...tokens };
    });
  }
}
