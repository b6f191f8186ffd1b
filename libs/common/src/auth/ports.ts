import type { EntityManager } from 'typeorm';
import type { RequestMeta } from '../http/request-meta.js';

/** One event of the security audit log. */
export interface AuditRecord {
  action: string;
  actorUserId?: string | null;
  actorDeviceId?: string | null;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
  meta?: RequestMeta;
}

/**
 * The audit log, as any context sees it (identity provides it, globally):
 * contexts below identity (the ledger) record their events without
 * importing identity. Pass the transaction's manager: the event is recorded
 * if and only if what it describes is committed.
 */
export abstract class AuditTrail {
  abstract record(entry: AuditRecord, manager?: EntityManager): Promise<void>;
}

/** The users, as contexts below identity see them (identity provides it, globally). */
export abstract class UserDirectory {
  /** Throws NotFoundError (404) for an unknown user. */
  abstract assertExists(userId: string): Promise<void>;
}
