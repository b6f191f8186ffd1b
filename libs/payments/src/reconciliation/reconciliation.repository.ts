import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Currency } from '@app/common';
import type { Finding, Line, MismatchKind } from '../domain/settlement-compare.js';
import type { ProviderCode } from '../provider/payment-provider.js';

export interface RunRow {
  provider: ProviderCode;
  ran_at: Date;
  platform_rows: number;
  provider_rows: number;
  mismatches: number;
  error: string | null;
}

export interface MismatchRow {
  provider: ProviderCode;
  kind: MismatchKind;
  entry_type: 'PAYMENT' | 'REFUND';
  out_trade_no: string;
  out_refund_no: string;
  order_id: string | null;
  platform_amount: string | null;
  provider_amount: string | null;
  currency: string;
}

/** Data access of reconciliation: the platform's lines of a day, and the stored runs and findings (schema payments). */
@Injectable()
export class ReconciliationRepository {
  /** Every capture and succeeded refund of one provider in [start, end), in the provider's currency. */
  async platformLines(m: EntityManager, provider: ProviderCode, start: Date, end: Date): Promise<Line[]> {
    const payments = (await m.query(
      `SELECT id, out_trade_no, provider_amount::text AS amount, provider_currency AS currency FROM payments.payment_orders
        WHERE provider = $1 AND captured_at >= $2 AND captured_at < $3`,
      [provider, start, end],
    )) as { id: string; out_trade_no: string; amount: string; currency: string }[];
    const refunds = (await m.query(
      `SELECT o.id, o.out_trade_no, r.out_refund_no, r.provider_amount::text AS amount, o.provider_currency AS currency
         FROM payments.payment_refunds r JOIN payments.payment_orders o ON o.id = r.order_id
        WHERE o.provider = $1 AND r.status = 'SUCCEEDED' AND r.completed_at >= $2 AND r.completed_at < $3`,
      [provider, start, end],
    )) as { id: string; out_trade_no: string; out_refund_no: string; amount: string; currency: string }[];
    return [
      ...payments.map((p) => ({ type: 'PAYMENT' as const, outTradeNo: p.out_trade_no, outRefundNo: '', amount: BigInt(p.amount), currency: p.currency.trim() as Currency, orderId: p.id })),
      ...refunds.map((r) => ({ type: 'REFUND' as const, outTradeNo: r.out_trade_no, outRefundNo: r.out_refund_no, amount: BigInt(r.amount), currency: r.currency.trim() as Currency, orderId: r.id })),
    ];
  }

  /** Replaces a day's findings of one provider and records its run (in the caller's transaction). */
  async saveRun(
    m: EntityManager,
    date: string,
    provider: ProviderCode,
    run: { platformRows: number; providerRows: number; error: string | null },
    findings: readonly Finding[],
  ): Promise<void> {
    await m.query(`DELETE FROM payments.reconciliation_mismatches WHERE business_date = $1 AND provider = $2`, [date, provider]);
    for (const x of findings) {
      await m.query(
        `INSERT INTO payments.reconciliation_mismatches (business_date, provider, kind, entry_type, out_trade_no, out_refund_no, order_id, platform_amount, provider_amount, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [date, provider, x.kind, x.type, x.outTradeNo, x.outRefundNo, x.orderId ?? null, x.platformAmount?.toString() ?? null, x.providerAmount?.toString() ?? null, x.currency],
      );
    }
    await m.query(
      `INSERT INTO payments.reconciliation_runs (business_date, provider, platform_rows, provider_rows, mismatches, error) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (business_date, provider) DO UPDATE
         SET ran_at = now(), platform_rows = EXCLUDED.platform_rows, provider_rows = EXCLUDED.provider_rows,
             mismatches = EXCLUDED.mismatches, error = EXCLUDED.error`,
      [date, provider, run.platformRows, run.providerRows, findings.length, run.error],
    );
  }

  async runs(m: EntityManager, date: string): Promise<RunRow[]> {
    return (await m.query(`SELECT * FROM payments.reconciliation_runs WHERE business_date = $1 ORDER BY provider`, [date])) as RunRow[];
  }

  async mismatches(m: EntityManager, date: string): Promise<MismatchRow[]> {
    return (await m.query(
      `SELECT * FROM payments.reconciliation_mismatches WHERE business_date = $1 ORDER BY provider, entry_type, out_trade_no, out_refund_no`,
      [date],
    )) as MismatchRow[];
  }
}
