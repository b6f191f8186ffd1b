import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdentityConfig } from './identity.config.js';
import { AuditService } from './audit/audit.service.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { UsersRepository } from './users.repository.js';

/**
 * ADMIN_PHONE / ADMIN_PASSWORD: if no user has that phone, create one with
 * role PLATFORM_ADMIN (real-name level 1). Safe when several replicas start
 * at once (insert-if-absent); an existing user is left as it is.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly userRows: UsersRepository,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_PHONE: phone, ADMIN_PASSWORD: password } = this.config;
    if (!phone || !password) return;
    const hash = await this.hasher.hash(password);
    const created = await this.dataSource.transaction(async (m) => {
      const id = await this.userRows.insertAdminIfAbsent(m, phone, hash);
      if (!id) return undefined;
      await this.userRows.grantRole(m, id, 'PLATFORM_ADMIN', null, null);
      await this.audit.record({ action: 'ADMIN_BOOTSTRAPPED', targetType: 'user', targetId: id, details: { phone } }, m);
      return id;
    });
    if (created) this.logger.log(`Created platform administrator ${phone}`);
  }
}
