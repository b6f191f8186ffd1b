import { describe, expect, it } from '@jest/globals';
import type { SettlementRow } from '../provider/payment-provider.js';
import { compareSettlement } from './settlement-compare.js';
import type { Line } from './settlement-compare.js';

const at = new Date('2026-11-21T02:00:00Z');
const line = (outTradeNo: string, amount: bigint, extra: Partial<Line> = {}): Line => ({ type: 'PAYMENT', outTradeNo, outRefundNo: '', amount, currency: 'CNY', orderId: `o-${outTradeNo}`, ...extra });
const row = (outTradeNo: string, amount: bigint, extra: Partial<SettlementRow> = {}): SettlementRow => ({ type: 'PAYMENT', outTradeNo, amount, currency: 'CNY', at, ...extra });

describe('compareSettlement', () => {
  it('finds nothing when both sides agree (refunds matched by their number)', () => {
    const ours = [line('a', 100n), line('a', 40n, { type: 'REFUND', outRefundNo: 'R1' })];
    const theirs = [row('a', 100n), row('a', 40n, { type: 'REFUND', outRefundNo: 'R1' })];
    expect(compareSettlement(ours, theirs)).toEqual([]);
  });

  it('reports missing rows on either side and differing amounts or currencies', () => {
    const found = compareSettlement([line('a', 100n), line('b', 200n), line('c', 300n)], [row('a', 101n), row('c', 300n, { currency: 'HKD' }), row('z', 5n)]);
    expect(found.map((f) => [f.kind, f.outTradeNo, f.platformAmount, f.providerAmount])).toEqual([
      ['AMOUNT_MISMATCH', 'a', 100n, 101n],
      ['AMOUNT_MISMATCH', 'c', 300n, 300n],
      ['MISSING_AT_PLATFORM', 'z', undefined, 5n],
      ['MISSING_AT_PROVIDER', 'b', 200n, undefined],
    ]);
  });

  it('adds up a row the provider lists twice: a double charge is a mismatch, reported once', () => {
    expect(compareSettlement([line('a', 100n)], [row('a', 100n), row('a', 100n)]).map((f) => [f.kind, f.providerAmount])).toEqual([['AMOUNT_MISMATCH', 200n]]);
    expect(compareSettlement([], [row('x', 7n), row('x', 7n)]).map((f) => [f.kind, f.providerAmount])).toEqual([['MISSING_AT_PLATFORM', 14n]]);
  });
});
