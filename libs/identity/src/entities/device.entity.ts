import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeviceKind } from '../identity.types.js';

/** A bus reader or POS of an organisation (identity.devices); its secret is kept sealed. */
@Entity({ schema: 'identity', name: 'devices' })
export class DeviceEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  organization_id: string;

  @Column({ type: 'text' })
  kind: DeviceKind;

  @Column({ type: 'text' })
  label: string;

  @Column({ type: 'bytea' })
  secret_sealed: Buffer;

  @Column({ type: 'uuid', nullable: true })
  created_by: string | null;

  @Column({ type: 'timestamptz' })
  created_at: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revoked_at: Date | null;
}
