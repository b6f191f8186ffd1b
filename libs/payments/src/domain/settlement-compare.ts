import type { Currency } from '@app/common';
import type { SettlementRow } from '../provider/payment-provider.js';

export type MismatchKind = 'MISSING_AT_PROVIDER' | 'MISSING_AT_PLATFORM' | 'AMOUNT_MISMATCH';

/** One capture or refund as the platform recorded it (provider currency). */
export interface Line {
  type: 'PAYMENT' | 'REFUND';
  outTradeNo: string;
  outRefundNo: string;
  amount: bigint;
  currency: Currency;
  orderId?: string;
}

export type Finding = Line & { kind: MismatchKind; platformAmount?: bigint; providerAmount?: bigint };

const keyOf = (l: { type: string; outTradeNo: string; outRefundNo?: string }): string => `${l.type}:${l.outTradeNo}:${l.outRefundNo ?? ''}`;

/**
 * Our lines against the provider's settlement rows, matched by (type, order,
 * refund number): missing on either side, or amounts (or currencies) that
 * differ. Rows the provider lists more than once add up (a double charge
 * then shows as an amount mismatch, and each key is reported once).
 */
export function compareSettlement(ours: Line[], theirs: SettlementRow[]): Finding[] {
  const mine = new Map(ours.map((l) => [keyOf(l), l]));
  const summed = new Map<string, SettlementRow>();
  for (const row of theirs) {
    const key = keyOf(row);
    const prior = summed.get(key);
    summed.set(key, prior ? { ...prior, amount: prior.amount + row.amount } : row);
  }
  const out: Finding[] = [];
  for (const [key, row] of summed) {
    const line = mine.get(key);
    const base = { type: row.type, outTradeNo: row.outTradeNo, outRefundNo: row.outRefundNo ?? '', amount: row.amount, currency: row.currency };
    if (!line) out.push({ ...base, kind: 'MISSING_AT_PLATFORM', providerAmount: row.amount });
    else if (line.amount !== row.amount || line.currency !== row.currency) {
      out.push({ ...base, orderId: line.orderId, kind: 'AMOUNT_MISMATCH', platformAmount: line.amount, providerAmount: row.amount });
    }
  }
  for (const line of ours) {
    if (!summed.has(keyOf(line))) out.push({ ...line, kind: 'MISSING_AT_PROVIDER', platformAmount: line.amount });
  }
  return out;
}
