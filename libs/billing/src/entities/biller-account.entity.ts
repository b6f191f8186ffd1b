import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintTransformer } from '@app/database';

/** A citizen's linked account at a biller (billing.biller_accounts), with its auto-pay cap when on. */
@Entity({ schema: 'billing', name: 'biller_accounts' })
export class BillerAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  user_id: string;

  @Column({ type: 'uuid' })
  biller_id: string;

  @Column({ type: 'text' })
  customer_ref: string;

  @Column({ type: 'text', nullable: true })
  alias: string | null;

  /** Minor units of the biller's currency; null: auto-pay off. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintTransformer })
  autopay_max_amount: bigint | null;

  @CreateDateColumn({ type: 'timestamptz' })
  created_at: Date;
}
