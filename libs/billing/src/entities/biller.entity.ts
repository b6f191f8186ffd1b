import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What billing knows of a BILLER organisation (billing.billers): its category and amount rules, keyed by the organisation id. */
@Entity({ schema: 'billing', name: 'billers' })
export class BillerEntity {
  @PrimaryColumn({ type: 'uuid' })
  organization_id: string;

  /** The organisation's name, kept here from its creation on (billing's SQL needs no identity read). */
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  category: string;

  @Column({ type: 'boolean' })
  allows_partial: boolean;

  @Column({ type: 'boolean' })
  allows_advance: boolean;

  @Column({ type: 'timestamptz', insert: false, update: false })
  created_at: Date;
}
