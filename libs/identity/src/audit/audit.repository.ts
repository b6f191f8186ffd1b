import { Injectable } from '@nestjs/common';
import { type EntityManager, type FindOptionsWhere, LessThan } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity.js';

export type NewAuditEvent = Omit<AuditEventEntity, 'id' | 'occurred_at'>;

/** Data access of the append-only security log (identity.audit_events). */
@Injectable()
export class AuditRepository {
  /** Appends one event: one plain INSERT (no RETURNING, nothing reads it back), also on a DataSource without identity's entities. */
  async append(m: EntityManager, e: NewAuditEvent): Promise<void> {
    await m.query(
      `INSERT INTO identity.audit_events (action, actor_user_id, actor_device_id, target_type, target_id, request_id, ip, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [e.action, e.actor_user_id, e.actor_device_id, e.target_type, e.target_id, e.request_id, e.ip, JSON.stringify(e.details)],
    );
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
