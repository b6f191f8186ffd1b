import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NotFoundError, type RequestMeta } from '@app/common';
import { IdentityConfig } from '../identity.config.js';
import { AuditService } from '../audit/audit.service.js';
import { checkIdNumber, type IdType, maskIdNumber, prcIdBirthDate } from '../domain/id-number.js';
import { IdAlreadyBoundError, InvalidIdNumberError, RealNameAlreadyVerifiedError } from '../identity.errors.js';
import { isUniqueViolation } from '@app/database';
import { UsersRepository } from '../users.repository.js';
import { UsersService, type UserView } from '../users.service.js';

/**
 * Real-name verification: the document number is checked (GB 11643 for PRC
 * IDs), bound to one account through a keyed hash (unique in SQL, so two
 * accounts binding the same number at once cannot both win), and only its
 * masked form is kept readable.
 */
@Injectable()
export class RealNameService {
  private readonly key: Buffer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly userRows: UsersRepository,
    private readonly audit: AuditService,
    @Inject(IdentityConfig) config: IdentityConfig,
  ) {
    this.key = Buffer.from(config.ID_NUMBER_HASH_KEY!, 'base64');
  }

  async verify(userId: string, fullName: string, idType: IdType, idNumber: string, meta: RequestMeta): Promise<UserView> {
    const check = checkIdNumber(idType, idNumber);
    if (!check.ok) throw new InvalidIdNumberError(check.reason);
    // the number alone, whatever type it is declared as: one number, one account
    const hash = createHmac('sha256', this.key).update(check.normalized).digest();
    try {
      return await this.dataSource.transaction(async (m) => {
        const current = await this.userRows.lockKyc(m, userId);
        if (!current) throw new NotFoundError('No such user');
        if (current.kyc_level === 1) {
          if (current.id_number_hash && timingSafeEqual(current.id_number_hash, hash)) return this.users.view(userId, m);
          throw new RealNameAlreadyVerifiedError();
        }
        await this.userRows.bindRealName(m, userId, {
          fullName: fullName.trim(),
          idType,
          idNumberMasked: maskIdNumber(check.normalized),
          idNumberHash: hash,
          birthDate: idType === 'PRC_ID' ? prcIdBirthDate(check.normalized) : null,
        });
        await this.audit.record(
          { action: 'REAL_NAME_VERIFIED', actorUserId: userId, targetType: 'user', targetId: userId, details: { idType }, meta },
          m,
        );
        return this.users.view(userId, m);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_id_number_hash_key')) throw new IdAlreadyBoundError();
      throw err;
    }
  }
}
