import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CurrencyMismatchError, Money } from './money.js';

describe('Money', () => {
  it('adds and subtracts exactly, beyond the range of doubles', () => {
    const big = Money.of(9007199254740993n, 'CNY');
    expect(big.plus(Money.of(1, 'CNY')).amount).toBe(9007199254740994n);
    expect(Money.of(10, 'HKD').minus(Money.of(25, 'HKD')).amount).toBe(-15n);
  });

  it('refuses to mix currencies', () => {
    expect(() => Money.of(1, 'CNY').plus(Money.of(1, 'HKD'))).toThrow(CurrencyMismatchError);
    expect(() => Money.of(1, 'CNY').compare(Money.of(1, 'MOP'))).toThrow(CurrencyMismatchError);
  });

  it('refuses floats and unknown currencies', () => {
    expect(() => Money.of(1.5, 'CNY')).toThrow(RangeError);
    expect(() => Money.of(1, 'USD' as never)).toThrow(RangeError);
  });

  it('serialises to integer JSON', () => {
    expect(JSON.stringify({ price: Money.of(1250, 'CNY') })).toBe('{"price":{"amount":1250,"currency":"CNY"}}');
  });

  it('allocates 100 fen over 3 equal parts as 34/33/33', () => {
    expect(Money.of(100, 'CNY').allocate([1, 1, 1]).map((m) => m.amount)).toEqual([34n, 33n, 33n]);
    expect(Money.of(-100, 'CNY').allocate([1, 1, 1]).map((m) => m.amount)).toEqual([-34n, -33n, -33n]);
    expect(Money.of(5, 'CNY').allocate([70, 30]).map((m) => m.amount)).toEqual([4n, 1n]);
  });

  it('allocation always sums to the whole and stays within one unit of the exact share (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }).filter((r) => r.some((x) => x > 0)),
        (amount, ratios) => {
          const parts = Money.of(amount, 'CNY').allocate(ratios);
          const total = ratios.reduce((a, b) => a + b, 0);
          const sum = parts.reduce((a, p) => a + p.amount, 0n);
          if (sum !== amount) return false;
          return parts.every((p, i) => {
            const exact = (Number(amount) * ratios[i]) / total;
            return Math.abs(Number(p.amount) - exact) < 1 + 1e-6 * Math.abs(exact);
          });
        },
      ),
    );
  });
});
