import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { shanghaiDayRange } from '@app/common';
import type { Currency } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { compareSettlement } from '../domain/settlement-compare.js';
import type { MismatchKind } from '../domain/settlement-compare.js';
import type { ProviderCode, SettlementRow } from '../provider/payment-provider.js';
import { PaymentProviders } from '../provider/provider-registry.js';
import { ReconciliationRepository } from './reconciliation.repository.js';

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
    // defaulted for `npm run reconcile`, which builds the service without Nest
    private readonly store: ReconciliationRepository = new ReconciliationRepository(),
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
      const { start, end } = shanghaiDayRange(date);
      const ours = await this.store.platformLines(this.dataSource.manager, provider.code, start, end);
      const mismatches = settlement ? compareSettlement(ours, settlement) : [];
      await withTransactionRetry(this.dataSource, (m) =>
        this.store.saveRun(m, date, provider.code, { platformRows: ours.length, providerRows: settlement?.length ?? 0, error }, mismatches),
      );
    }
    return this.report(date);
  }

  async report(date: string): Promise<ReconciliationReport> {
    shanghaiDayRange(date);
    const runs = await this.store.runs(this.dataSource.manager, date);
    const rows = await this.store.mismatches(this.dataSource.manager, date);
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
