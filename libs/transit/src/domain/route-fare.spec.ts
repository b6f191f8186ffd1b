import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { MAX_PAYMENT_MINOR } from '@app/common';
import { type RouteFare, baseFare, distanceFare, routeFareToJson, validateRouteFare } from './route-fare.js';

type Distance = Extract<RouteFare, { type: 'DISTANCE' }>;
const distance: Distance = { type: 'DISTANCE', baseAmount: 200n, baseStops: 5, perStopAmount: 50n, maxAmount: 600n, currency: 'CNY' };

describe('distanceFare', () => {
  it('charges the base up to baseStops, then per stop, up to maxAmount, in either direction', () => {
    const fares = [0, 1, 5, 6, 7, 12, 13, 40].map((stops) => distanceFare(distance, 3, 3 + stops).amount);
    expect(fares).toEqual([200n, 200n, 200n, 250n, 300n, 550n, 600n, 600n]);
    expect(distanceFare(distance, 10, 3).amount).toBe(distanceFare(distance, 3, 10).amount);
    expect(distanceFare(distance, 0, 8).currency).toBe('CNY');
  });

  it('refuses negative or fractional stop indexes', () => {
    expect(() => distanceFare(distance, -1, 3)).toThrow(RangeError);
    expect(() => distanceFare(distance, 1.5, 3)).toThrow(RangeError);
  });

  it('is the formula of api.md, between baseAmount and maxAmount (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          baseAmount: fc.bigInt({ min: 1n, max: 10_000n }),
          extra: fc.bigInt({ min: 0n, max: 10_000n }),
          baseStops: fc.integer({ min: 0, max: 50 }),
          perStopAmount: fc.bigInt({ min: 0n, max: 1_000n }),
        }),
        fc.nat(200),
        fc.nat(200),
        ({ baseAmount, extra, baseStops, perStopAmount }, a, b) => {
          const fare: Distance = { type: 'DISTANCE', baseAmount, baseStops, perStopAmount, maxAmount: baseAmount + extra, currency: 'HKD' };
          const got = distanceFare(fare, a, b).amount;
          const stops = BigInt(Math.abs(a - b));
          const formula = baseAmount + perStopAmount * (stops > BigInt(baseStops) ? stops - BigInt(baseStops) : 0n);
          expect(got).toBe(formula < fare.maxAmount ? formula : fare.maxAmount);
          expect(got >= baseAmount && got <= fare.maxAmount).toBe(true);
        },
      ),
    );
  });
});

describe('baseFare', () => {
  it('is the flat amount, the distance fare, or maxAmount for a missing tap-out', () => {
    expect(baseFare({ type: 'FLAT', amount: 200n, currency: 'CNY' }).amount).toBe(200n);
    expect(baseFare(distance, { stopIn: 2, stopOut: 9 }).amount).toBe(300n);
    expect(baseFare(distance, { stopIn: 2, stopOut: null }).amount).toBe(600n);
    expect(baseFare(distance).amount).toBe(600n);
  });
});

describe('validateRouteFare', () => {
  const flat = { type: 'FLAT', amount: 200, currency: 'CNY' };
  const dist = { type: 'DISTANCE', baseAmount: 200, baseStops: 5, perStopAmount: 50, maxAmount: 600, currency: 'CNY' };

  it('takes well-formed FLAT and DISTANCE fares, amounts as bigint', () => {
    expect(validateRouteFare(flat)).toEqual({ ok: true, fare: { type: 'FLAT', amount: 200n, currency: 'CNY' } });
    expect(validateRouteFare(dist, { currency: 'CNY' })).toEqual({ ok: true, fare: distance });
    expect(validateRouteFare({ ...dist, perStopAmount: 0, maxAmount: 200, baseStops: 0 })).toMatchObject({ ok: true });
  });

  it('round-trips through its JSON form', () => {
    for (const raw of [flat, dist]) {
      const parsed = validateRouteFare(raw);
      expect(parsed.ok && routeFareToJson(parsed.fare)).toEqual(raw);
    }
  });

  it.each([
    [{ ...flat, amount: 0 }, 'fare.amount'],
    [{ ...flat, amount: -5 }, 'fare.amount'],
    [{ ...flat, amount: 1.5 }, 'fare.amount'],
    [{ ...flat, amount: '200' }, 'fare.amount'],
    [{ ...flat, amount: MAX_PAYMENT_MINOR + 1 }, 'fare.amount'],
    [{ ...flat, currency: 'USD' }, 'fare.currency'],
    [{ ...flat, extra: 1 }, 'fare.extra'],
    [{ ...flat, baseAmount: 100 }, 'fare.baseAmount'],
    [{ ...flat, type: 'ZONE' }, 'fare.type'],
    [{ ...dist, maxAmount: 199 }, 'fare.maxAmount'],
    [{ ...dist, baseStops: -1 }, 'fare.baseStops'],
    [{ ...dist, baseStops: 2.5 }, 'fare.baseStops'],
    [{ ...dist, perStopAmount: -1 }, 'fare.perStopAmount'],
    [{ ...dist, perStopAmount: undefined }, 'fare.perStopAmount'],
    [{ ...dist, baseAmount: 0 }, 'fare.baseAmount'],
    [{ ...dist, amount: 5 }, 'fare.amount'],
  ])('refuses %p naming %s', (raw, field) => {
    const result = validateRouteFare(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.details.map((d) => d.field)).toContain(field);
  });

  it('refuses a fare not in the operator currency, and a body that is not an object', () => {
    expect(validateRouteFare(flat, { currency: 'HKD' })).toEqual({
      ok: false,
      details: [{ field: 'fare.currency', problems: ["must be the operator's currency, HKD"] }],
    });
    expect(validateRouteFare(null)).toEqual({ ok: false, details: [{ field: 'fare', problems: ['must be an object'] }] });
    expect(validateRouteFare([flat])).toMatchObject({ ok: false });
  });

  it('reports every problem at once', () => {
    const result = validateRouteFare({ type: 'DISTANCE', baseAmount: 500, baseStops: -1, perStopAmount: 1.5, maxAmount: 400, currency: 'XYZ' });
    expect(!result.ok && result.details.map((d) => d.field).sort()).toEqual(
      ['fare.baseStops', 'fare.currency', 'fare.maxAmount', 'fare.perStopAmount'].sort(),
    );
  });
});
