import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '@app/database';
import type { ProviderCode } from '../provider/payment-provider.js';

export type PaymentOrderStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';

/**
 * The platform's record of a provider payment (payments.payment_orders).
 * Properties carry the column names; amounts are bigint minor units.
 */
@Entity({ schema: 'payments', name: 'payment_orders' })
export class PaymentOrderEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  out_trade_no: string;

  @Column({ type: 'uuid' })
  user_id: string;

  @Column({ type: 'text' })
  purpose: string;

  @Column({ type: 'text', nullable: true })
  purpose_ref: string | null;

  @Column({ type: 'text' })
  provider: ProviderCode;

  @Column({ type: 'text' })
  merchant_id: string;

  @Column({ type: 'text' })
  status: PaymentOrderStatus;

  @Column({ type: 'bigint', transformer: bigintTransformer })
  amount: bigint;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'bigint', transformer: bigintTransformer })
  provider_amount: bigint;

  @Column({ type: 'char', length: 3 })
  provider_currency: string;

  /** numeric(18, 8), kept as its decimal string. */
  @Column({ type: 'numeric', precision: 18, scale: 8, nullable: true })
  fx_rate: string | null;

  @Column({ type: 'text', nullable: true })
  fx_source: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  fx_as_of: Date | null;

  @Column({ type: 'text' })
  subject: string;

  @Column({ type: 'text', nullable: true })
  provider_trade_id: string | null;

  @Column({ type: 'text', nullable: true })
  qr_payload: string | null;

  @Column({ type: 'text', nullable: true })
  redirect_url: string | null;

  @Column({ type: 'timestamptz' })
  expires_at: Date;

  @Column({ type: 'timestamptz' })
  created_at: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completed_at: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  captured_at: Date | null;

  @Column({ type: 'boolean' })
  late_capture: boolean;

  @Column({ type: 'bigint', transformer: bigintTransformer })
  refunded_amount: bigint;

  @Column({ type: 'bigint', transformer: bigintTransformer })
  refunded_provider_amount: bigint;

  @Column({ type: 'text', nullable: true })
  failure_reason: string | null;
}
