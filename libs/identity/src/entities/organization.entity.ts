import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { OrganizationKind } from '../identity.types.js';

/** What identity knows of an organisation (identity.organizations); the rest is each context's profile. */
@Entity({ schema: 'identity', name: 'organizations' })
export class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  kind: OrganizationKind;

  /** char(3): PostgreSQL pads it; read it through `.trim()`. */
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'timestamptz' })
  created_at: Date;
}
