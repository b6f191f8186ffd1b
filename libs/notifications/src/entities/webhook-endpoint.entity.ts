import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where an organisation receives its webhooks, and the secret they are signed with (notifications.webhook_endpoints). */
@Entity({ schema: 'notifications', name: 'webhook_endpoints' })
export class WebhookEndpointEntity {
  @PrimaryColumn({ type: 'uuid' })
  organization_id: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text' })
  secret: string;

  @Column({ type: 'timestamptz', insert: false })
  updated_at: Date;
}
