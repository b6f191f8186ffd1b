import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditRecord } from '@app/common';

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
  constructor(private readonly dataSource: DataSource) {}

  async record(entry: AuditEntry, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `INSERT INTO identity.audit_events (action, actor_user_id, actor_device_id, target_type, target_id, request_id, ip, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        entry.action,
        entry.actorUserId ?? null,
        entry.actorDeviceId ?? null,
        entry.targetType ?? null,
        entry.targetId ?? null,
        entry.meta?.requestId ?? null,
        entry.meta?.ip ?? null,
        JSON.stringify(entry.details ?? {}),
      ],
    );
  }

  /** Newest first; `before` is the id to continue below (cursor). */
  async list(options: { limit: number; before?: bigint; action?: string; targetId?: string }): Promise<AuditEventView[]> {
    const rows = (await this.dataSource.query(
      // ordered by the bigint column, not by the text it is answered as (9, 8, ... 2, 19 otherwise)
      `SELECT e.id::text AS id, occurred_at, action, actor_user_id, actor_device_id, target_type, target_id, request_id, ip, details
         FROM identity.audit_events e
        WHERE ($1::bigint IS NULL OR e.id < $1::bigint)
          AND ($2::text IS NULL OR action = $2)
          AND ($3::text IS NULL OR target_id = $3)
        ORDER BY e.id DESC
        LIMIT $4`,
      [options.before?.toString() ?? null, options.action ?? null, options.targetId ?? null, options.limit],
    )) as {
      id: string;
      occurred_at: Date;
      action: string;
      actor_user_id: string | null;
      actor_device_id: string | null;
      target_type: string | null;
      target_id: string | null;
      request_id: string | null;
      ip: string | null;
      details: Record<string, unknown>;
    }[];
    return rows.map((r) => ({
      id: r.id,
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
