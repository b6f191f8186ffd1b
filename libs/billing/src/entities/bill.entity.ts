import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintTransformer } from '@app/database';

/** One bill of a biller's customer for a month (billing.bills); amounts in bigint minor units. */
@Entity({ schema: 'billing', name: 'bills' })
export class BillEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  biller_id: string;

  @Column({ type: 'text' })
  customer_ref: string;

  /** char(7), YYYY-MM. */
  @Column({ type: 'char', length: 7 })
  period: string;

  @Column({ type: 'bigint', transformer: bigintTransformer })
  amount: bigint;

  /** char(3): read it through `.trim()`. */
  @Column({ type: 'char', length: 3 })
  currency: string;

  /** A PostgreSQL date, read as YYYY-MM-DD. */
  @Column({ type: 'date' })
  due_date: string;

  @Column({ type: 'text', nullable: true })
  customer_name: string | null;

  @Column({ type: 'bigint', transformer: bigintTransformer })
  paid_amount: bigint;

  @Column({ type: 'boolean' })
  has_payments: boolean;

  @Column({ type: 'timestamptz', insert: false, update: false })
  created_at: Date;

  @Column({ type: 'timestamptz', insert: false })
  updated_at: Date;
}
