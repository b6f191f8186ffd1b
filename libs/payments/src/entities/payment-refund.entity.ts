import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '@app/database';

/** A provider-level refund of a payment order (payments.payment_refunds); properties carry the column names. */
@Entity({ schema: 'payments', name: 'payment_refunds' })
export class PaymentRefundEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  order_id: string;

  @Column({ type: 'text' })
  request_key: string;

  @Column({ type: 'text' })
  out_refund_no: string;

  /** Order currency, minor units. */
  @Column({ type: 'bigint', transformer: bigintTransformer })
  amount: bigint;

  /** Provider currency, minor units. */
  @Column({ type: 'bigint', transformer: bigintTransformer })
  provider_amount: bigint;

  @Column({ type: 'uuid' })
  source_account_id: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text' })
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';

  @Column({ type: 'text', nullable: true })
  provider_refund_id: string | null;

  @Column({ type: 'text', nullable: true })
  failure_reason: string | null;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ type: 'timestamptz' })
  created_at: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completed_at: Date | null;
}
