import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditRecord } from '@app/common';
import { AuditRepository } from './audit.repository.js';

export const AUDIT_ACTIONS = [
  'ADMIN_BOOTSTRAPPED',
  'USER_REGISTERED',
  'LOGIN_SUCCEEDED',
  'LOGIN_FAILED',
  'LOGIN_THROTTLED',
  'LOGOUT',
  'REFRESH_TOKEN_REUSED',
  'REAL_NAME_VERIFIED',
  'ORGANIZATION_CREATED',
  'ROLE_GRANTED',
  'DEVICE_CREATED',
  'DEVICE_REVOKED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number] | (string & {});

/** An audit event as identity records it (the AuditTrail port's record, with identity's actions named). */
export interface AuditEntry extends AuditRecord {
  action: AuditAction;
}

export interface AuditEventView {
  id: string;
  occurredAt: string;
  action: string;
  actorUserId: string | null;
  actorDeviceId: string | null;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/**
 * The append-only security log (the table refuses UPDATE, DELETE and
 * TRUNCATE). Pass the transaction's manager so that an event is recorded if
 * and only if what it describes is committed.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    // defaulted for code that builds the service on a bare DataSource (a test of paycode-keys)
    private readonly events: AuditRepository = new AuditRepository(),
  ) {}

  async record(entry: AuditEntry, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await this.events.append(manager, {
      action: entry.action,
      actor_user_id: entry.actorUserId ?? null,
      actor_device_id: entry.actorDeviceId ?? null,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      request_id: entry.meta?.requestId ?? null,
      ip: entry.meta?.ip ?? null,
      details: entry.details ?? {},
    });
  }

  /** Newest first; `before` is the id to continue below (cursor). */
  async list(options: { limit: number; before?: bigint; action?: string; targetId?: string }): Promise<AuditEventView[]> {
    const rows = await this.events.list(this.dataSource.manager, options);
    return rows.map((r) => ({
      id: r.id.toString(),
      occurredAt: r.occurred_at.toISOString(),
      action: r.action,
      actorUserId: r.actor_user_id,
      actorDeviceId: r.actor_device_id,
      targetType: r.target_type,
      targetId: r.target_id,
      requestId: r.request_id,
      ip: r.ip,
      details: r.details,
    }));
  }
}
