import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdentityConfig } from './identity.config.js';
import { AuditService } from './audit/audit.service.js';
import { PasswordHasher } from './auth/password-hasher.js';

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
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_PHONE: phone, ADMIN_PASSWORD: password } = this.config;
    if (!phone || !password) return;
    const hash = await this.hasher.hash(password);
    const created = await this.dataSource.transaction(async (m) => {
      const rows = (await m.query(
        `INSERT INTO identity.users (phone, password_hash, display_name, kyc_level, real_full_name, kyc_verified_at)
         VALUES ($1, $2, 'Platform administrator', 1, 'Platform administrator', now())
         ON CONFLICT (phone) DO NOTHING RETURNING id`,
        [phone, hash],
      )) as { id: string }[];
      if (!rows[0]) return undefined;
      await m.query(`INSERT INTO identity.role_grants (user_id, role) VALUES ($1, 'PLATFORM_ADMIN')`, [rows[0].id]);
      await this.audit.record({ action: 'ADMIN_BOOTSTRAPPED', targetType: 'user', targetId: rows[0].id, details: { phone } }, m);
      return rows[0].id;
    });
    if (created) this.logger.log(`Created platform administrator ${phone}`);
  }
}
