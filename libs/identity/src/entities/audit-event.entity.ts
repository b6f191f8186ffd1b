import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '@app/database';

/** One line of the append-only security log (identity.audit_events). */
@Entity({ schema: 'identity', name: 'audit_events' })
export class AuditEventEntity {
  /** GENERATED ALWAYS AS IDENTITY: PostgreSQL numbers the events. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintTransformer, insert: false })
  id: bigint;

  @Column({ type: 'timestamptz', insert: false })
  occurred_at: Date;

  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'uuid', nullable: true })
  actor_user_id: string | null;

  @Column({ type: 'uuid', nullable: true })
  actor_device_id: string | null;

  @Column({ type: 'text', nullable: true })
  target_type: string | null;

  @Column({ type: 'text', nullable: true })
  target_id: string | null;

  @Column({ type: 'text', nullable: true })
  request_id: string | null;

  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;
}
