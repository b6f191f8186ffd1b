import { Injectable } from '@nestjs/common';
import { type EntityManager, type FindOptionsWhere, LessThan } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { AuditEventEntity } from '../entities/audit-event.entity.js';

export type NewAuditEvent = Omit<AuditEventEntity, 'id' | 'occurred_at'>;

/** Data access of the append-only security log (identity.audit_events). */
@Injectable()
export class AuditRepository {
  /** Appends one event (no RETURNING: nothing reads it back). */
  async append(m: EntityManager, event: NewAuditEvent): Promise<void> {
    await m.createQueryBuilder().insert().into(AuditEventEntity).values(event as QueryDeepPartialEntity<AuditEventEntity>).updateEntity(false).execute();
  }

  /** Newest first, by the bigint id; `before` continues below that id. */
  list(m: EntityManager, options: { limit: number; before?: bigint; action?: string; targetId?: string }): Promise<AuditEventEntity[]> {
    const where: FindOptionsWhere<AuditEventEntity> = {};
    if (options.before !== undefined) where.id = LessThan(options.before);
    if (options.action !== undefined) where.action = options.action;
    if (options.targetId !== undefined) where.target_id = options.targetId;
    return m.find(AuditEventEntity, { where, order: { id: 'DESC' }, take: options.limit });
  }
}
