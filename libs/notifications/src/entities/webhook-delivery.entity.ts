import { Column, Entity, PrimaryColumn } from 'typeorm';

export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One event for an organisation's endpoint and its delivery attempts (notifications.webhook_deliveries: the outbox). */
@Entity({ schema: 'notifications', name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  @PrimaryColumn({ type: 'uuid', insert: false })
  id: string;

  @Column({ type: 'uuid' })
  organization_id: string;

  @Column({ type: 'text' })
  event_type: string;

  @Column({ type: 'text', nullable: true })
  key: string | null;

  /** `{type, data}`: the body POSTed is `{id, type, data}`. */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ type: 'text' })
  status: WebhookDeliveryStatus;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ type: 'timestamptz' })
  next_attempt_at: Date;

  @Column({ type: 'integer', nullable: true })
  last_status_code: number | null;

  @Column({ type: 'text', nullable: true })
  last_error: string | null;

  @Column({ type: 'timestamptz', insert: false })
  created_at: Date;

  @Column({ type: 'timestamptz', nullable: true })
  delivered_at: Date | null;
}
