import { Injectable } from '@nestjs/common';
import { shanghaiDay, shanghaiDayRange, ValidationFailedError } from '@app/common';
import type { Currency } from '@app/common';
import { toPaymentView } from './bill-payment.js';
import type { BillPaymentView } from './bill-payment.js';
import { BillPaymentsRepository } from './bill-payments.repository.js';
import { BillsService } from './bills.service.js';
import { MAX_SETTLEMENT_RANGE_DAYS } from './dto/billing.dto.js';

/** What a biller was paid: a business day's payments, and daily totals over a range. */
@Injectable()
export class BillSettlementsService {
  constructor(
    private readonly repository: BillPaymentsRepository,
    private readonly bills: BillsService,
  ) {}

  /**
   * Every succeeded payment of an Asia/Shanghai business day for a biller,
   * with count and total; the same rows the ledger credited to its
   * receivable that day (paid_at is the ledger entry's transaction time).
   */
  async settlement(billerId: string, date: string): Promise<{
    date: string;
    timeZone: 'Asia/Shanghai';
    count: number;
    total: { amount: number; currency: Currency };
    items: (BillPaymentView & { customerRef: string; period: string })[];
  }> {
    const biller = await this.bills.biller(billerId);
    const { start, end } = shanghaiDayRange(date);
    const rows = await this.repository.succeededBetween(biller.id, start, end);
    const total = rows.reduce((sum, r) => sum + BigInt(r.amount), 0n);
    return {
      date,
      timeZone: 'Asia/Shanghai',
      count: rows.length,
      total: { amount: Number(total), currency: biller.currency },
      items: rows.map((r) => ({ ...toPaymentView(r), customerRef: r.customer_ref, period: r.period })),
    };
  }

  /**
   * Daily settlement totals over [from, to] (Asia/Shanghai days, both
   * included, at most MAX_SETTLEMENT_RANGE_DAYS): one row per day, zero days
   * too, each equal to what `settlement(date)` counts for that day.
   */
  async dailySettlements(billerId: string, from: string, to: string): Promise<{
    from: string;
    to: string;
    timeZone: 'Asia/Shanghai';
    currency: Currency;
    days: { date: string; count: number; total: { amount: number; currency: Currency } }[];
  }> {
    const { start } = shanghaiDayRange(from, 'from');
    const { end } = shanghaiDayRange(to, 'to');
    const dayCount = Math.round((end.getTime() - start.getTime()) / 86_400_000);
    if (dayCount < 1) throw new ValidationFailedError([{ field: 'to', problems: ['to must not be before from'] }]);
    if (dayCount > MAX_SETTLEMENT_RANGE_DAYS) {
      throw new ValidationFailedError([{ field: 'to', problems: [`a range spans at most ${MAX_SETTLEMENT_RANGE_DAYS} days`] }]);
    }
    const biller = await this.bills.biller(billerId);
    const byDay = new Map((await this.repository.dailyTotals(biller.id, start, end)).map((r) => [r.day, r]));
    const days = Array.from({ length: dayCount }, (_, i) => {
      const date = shanghaiDay(new Date(start.getTime() + i * 86_400_000));
      const row = byDay.get(date);
      return { date, count: row?.count ?? 0, total: { amount: Number(row ? BigInt(row.total) : 0n), currency: biller.currency } };
    });
    return { from, to, timeZone: 'Asia/Shanghai', currency: biller.currency, days };
  }
}
