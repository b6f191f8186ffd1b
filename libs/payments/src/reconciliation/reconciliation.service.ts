import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { shanghaiDayRange } from '@app/common';
import type { Currency } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { compareSettlement } from '../domain/settlement-compare.js';
import type { Line, MismatchKind } from '../domain/settlement-compare.js';
import type { ProviderCode, SettlementRow } from '../provider/payment-provider.js';
import { PaymentProviders } from '../provider/provider-registry.js';

export type { MismatchKind };

export interface Mismatch {
  provider: ProviderCode;
  kind: MismatchKind;
  entryType: 'PAYMENT' | 'REFUND';
  outTradeNo: string;
  outRefundNo: string | null;
  orderId: string | null;
  platformAmount: number | null;
  providerAmount: number | null;
  currency: Currency;
}

export interface ProviderRun {
  provider: ProviderCode;
  ranAt: string;
  platformRows: number;
  providerRows: number;
  mismatches: number;
  error: string | null;
}

export interface ReconciliationReport {
  date: string;
  timeZone: 'Asia/Shanghai';
  runs: ProviderRun[];
  mismatches: Mismatch[];
}




/**
 * Daily reconciliation: every capture and refund the platform recorded on an
 * Asia/Shanghai business day, against each provider's settlement file for
 * that day (amounts in the provider's currency). Mismatches (missing on
 * either side, amount differs) are stored per day and provider; a rerun
 * replaces that day's findings.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger('Reconciliation');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: PaymentProviders,
  ) {}

  async run(date: string): Promise<ReconciliationReport> {
    shanghaiDayRange(date);
    for (const provider of await this.providers.all()) {
      let settlement: SettlementRow[] | undefined;
      let error: string | null = null;
      try {
        settlement = await provider.fetchSettlement(date);
      } catch (err) {
        error = (err as Error).message;
        this.logger.error({ err }, `${provider.code} settlement file for ${date} unavailable`);
      }
      const ours = await this.platformLines(provider.code, date);
      const mismatches = settlement ? compareSettlement(ours, settlement) : [];
      await withTransactionRetry(this.dataSource, async (m) => {
        await m.query(`DELETE FROM payments.reconciliation_mismatches WHERE business_date = $1 AND provider = $2`, [date, provider.code]);
        for (const x of mismatches) {
          await m.query(
            `INSERT INTO payments.reconciliation_mismatches (business_date, provider, kind, entry_type, out_trade_no, out_refund_no, order_id, platform_amount, provider_amount, currency)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [date, provider.code, x.kind, x.type, x.outTradeNo, x.outRefundNo, x.orderId ?? null, x.platformAmount?.toString() ?? null, x.providerAmount?.toString() ?? null, x.currency],
          );
        }
        await m.query(
          `INSERT INTO payments.reconciliation_runs (business_date, provider, platform_rows, provider_rows, mismatches, error) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (business_date, provider) DO UPDATE
             SET ran_at = now(), platform_rows = EXCLUDED.platform_rows, provider_rows = EXCLUDED.provider_rows,
                 mismatches = EXCLUDED.mismatches, error = EXCLUDED.error`,
          [date, provider.code, ours.length, settlement?.length ?? 0, mismatches.length, error],
        );
      });
    }
    return this.report(date);
  }

  private async platformLines(provider: ProviderCode, date: string): Promise<Line[]> {
    const { start, end } = shanghaiDayRange(date);
    const payments = (await this.dataSource.query(
      `SELECT id, out_trade_no, provider_amount::text AS amount, provider_currency AS currency FROM payments.payment_orders
        WHERE provider = $1 AND captured_at >= $2 AND captured_at < $3`,
      [provider, start, end],
    )) as { id: string; out_trade_no: string; amount: string; currency: string }[];
    const refunds = (await this.dataSource.query(
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

  async report(date: string): Promise<ReconciliationReport> {
    shanghaiDayRange(date);
    const runs = (await this.dataSource.query(`SELECT * FROM payments.reconciliation_runs WHERE business_date = $1 ORDER BY provider`, [date])) as {
      provider: ProviderCode;
      ran_at: Date;
      platform_rows: number;
      provider_rows: number;
      mismatches: number;
      error: string | null;
    }[];
    const rows = (await this.dataSource.query(
      `SELECT * FROM payments.reconciliation_mismatches WHERE business_date = $1 ORDER BY provider, entry_type, out_trade_no, out_refund_no`,
      [date],
    )) as {
      provider: ProviderCode;
      kind: MismatchKind;
      entry_type: 'PAYMENT' | 'REFUND';
      out_trade_no: string;
      out_refund_no: string;
      order_id: string | null;
      platform_amount: string | null;
      provider_amount: string | null;
      currency: string;
    }[];
    return {
      date,
      timeZone: 'Asia/Shanghai',
      runs: runs.map((r) => ({
        provider: r.provider,
        ranAt: r.ran_at.toISOString(),
        platformRows: r.platform_rows,
        providerRows: r.provider_rows,
        mismatches: r.mismatches,
        error: r.error,
      })),
      mismatches: rows.map((r) => ({
        provider: r.provider,
        kind: r.kind,
        entryType: r.entry_type,
        outTradeNo: r.out_trade_no,
        outRefundNo: r.out_refund_no || null,
        orderId: r.order_id,
        platformAmount: r.platform_amount === null ? null : Number(r.platform_amount),
        providerAmount: r.provider_amount === null ? null : Number(r.provider_amount),
        currency: r.currency.trim() as Currency,
      })),
    };
  }
}
