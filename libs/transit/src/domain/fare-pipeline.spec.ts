import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CurrencyMismatchError, Money, shanghaiDay } from '@app/common';
import type { FarePolicy } from './fare-policy.js';
import { type ChargedTrip, type FareInput, ageAt, ageOnDay, chargedTripsRange, computeFare, previousBoarding } from './fare-pipeline.js';

const cny = (n: number | bigint) => Money.of(n, 'CNY');
const at = (iso: string) => new Date(iso);
const MIN = 60_000;

function fare(over: Partial<FareInput> & { boardedAt?: Date; routeId?: string; base?: Money } = {}) {
  return computeFare({
    trip: { routeId: over.routeId ?? 'R2', boardedAt: over.boardedAt ?? at('2026-12-01T01:00:00Z'), base: over.base ?? cny(200) },
    rider: over.rider ?? { birthDate: null },
    policy: over.policy === undefined ? null : over.policy,
    chargedTrips: over.chargedTrips ?? [],
  });
}

describe('ageOnDay / ageAt', () => {
  it('counts whole years, the birthday included', () => {
    expect(ageOnDay('1966-12-01', '2026-12-01')).toBe(60);
    expect(ageOnDay('1966-12-01', '2026-11-30')).toBe(59);
    expect(ageOnDay('1966-12-01', '2027-01-01')).toBe(60);
    expect(ageOnDay('2000-01-01', '1999-12-31')).toBe(-1);
  });
  it('lets someone born on 29 February reach their birthday on 1 March in common years', () => {
    expect(ageOnDay('1964-02-29', '2024-02-29')).toBe(60);
    expect(ageOnDay('1965-02-28', '2025-02-28')).toBe(60);
    expect(ageOnDay('1966-02-28', '2026-02-28')).toBe(60);
    expect(ageOnDay('1964-02-29', '2025-02-28')).toBe(60);
    expect(ageOnDay('1964-02-29', '2023-02-28')).toBe(58);
    expect(ageOnDay('1964-02-29', '2023-03-01')).toBe(59);
  });
  it('refuses what is not a calendar day', () => {
    expect(() => ageOnDay('1966-02-30', '2026-12-01')).toThrow(RangeError);
    expect(() => ageOnDay('66-12-01', '2026-12-01')).toThrow(RangeError);
  });
  it('takes the Asia/Shanghai day of the instant', () => {
    // 2026-11-30T16:00Z is 00:00 on 1 December in Beijing.
    expect(ageAt('1966-12-01', at('2026-11-30T16:00:00Z'))).toBe(60);
    expect(ageAt('1966-12-01', at('2026-11-30T15:59:59.999Z'))).toBe(59);
  });
});

describe('computeFare: no policy', () => {
  it('charges the base fare, whatever the rider and the day (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 100_000_000n }),
        fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2090-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.array(fc.record({ routeId: fc.constantFrom('R1', 'R2'), boardedAt: fc.date({ noInvalidDate: true, min: at('2000-01-01T00:00:00Z'), max: at('2090-01-01T00:00:00Z') }), fare: fc.bigInt({ min: 0n, max: 10_000n }) })),
        fc.constantFrom<FarePolicy | null>(null, {}),
        (base, boardedAt, chargedTrips, policy) => {
          const r = fare({ base: cny(base), boardedAt, chargedTrips, policy, rider: { birthDate: '1900-01-01' } });
          expect(r.fare).toBe(base);
          expect(r.fareBreakdown).toEqual({ base, concession: 0n, transfer: 0n, cap: 0n });
          expect([r.concession, r.transferFrom, r.capRemaining]).toEqual([null, null, null]);
        },
      ),
    );
  });
});

describe('computeFare: senior concession', () => {
  const policy: FarePolicy = { concessions: { SENIOR: { percentOff: 50, minAge: 60 } } };
  const rider = { birthDate: '1966-12-01' };

  it('applies on the 60th birthday by the Shanghai date, not the day before', () => {
    // 00:30 on 1 December in Beijing is still 30 November in UTC.
    const onBirthday = fare({ policy, rider, boardedAt: at('2026-11-30T16:30:00Z') });
    expect(onBirthday).toMatchObject({ fare: 100n, concession: 'SENIOR', serviceDay: '2026-12-01' });
    expect(onBirthday.fareBreakdown).toEqual({ base: 200n, concession: 100n, transfer: 0n, cap: 0n });
    // 23:30 on 30 November in Beijing: the day before.
    const dayBefore = fare({ policy, rider, boardedAt: at('2026-11-30T15:30:00Z') });
    expect(dayBefore).toMatchObject({ fare: 200n, concession: null, serviceDay: '2026-11-30' });
    expect(dayBefore.fareBreakdown.concession).toBe(0n);
  });

  it('rounds the fare down to the fen; 100 percent off is a free ride; 0 percent changes nothing', () => {
    const r = fare({ base: cny(250), rider, policy: { concessions: { SENIOR: { percentOff: 33, minAge: 60 } } } });
    expect([r.fare, r.fareBreakdown.concession]).toEqual([167n, 83n]); // 250 * 67% = 167.5
    expect(fare({ rider, policy: { concessions: { SENIOR: { percentOff: 100, minAge: 60 } } } }).fare).toBe(0n);
    const zero = fare({ rider, policy: { concessions: { SENIOR: { percentOff: 0, minAge: 60 } } } });
    expect([zero.fare, zero.concession]).toEqual([200n, 'SENIOR']);
  });

  it('follows minAge, and never applies without a known birth date', () => {
    const p65: FarePolicy = { concessions: { SENIOR: { percentOff: 50, minAge: 65 } } };
    expect(fare({ policy: p65, rider }).fare).toBe(200n);
    expect(fare({ policy: p65, rider: { birthDate: '1961-12-01' } }).fare).toBe(100n);
    expect(fare({ policy, rider: { birthDate: null } }).fare).toBe(200n);
  });

  it('refuses a percentOff outside 0-100 instead of charging more than the base', () => {
    expect(() => fare({ rider, policy: { concessions: { SENIOR: { percentOff: 120, minAge: 60 } } } })).toThrow(RangeError);
  });
});

describe('computeFare: transfer', () => {
  const policy: FarePolicy = { transfer: { windowMinutes: 60, discount: cny(100) } };
  const first = at('2026-12-01T01:00:00Z');
  const prev: ChargedTrip = { tripId: 't1', routeId: 'R1', boardedAt: first, fare: 200n };
  const after = (ms: number) => new Date(first.getTime() + ms);

  it('discounts a boarding of another route just inside the window (exactly windowMinutes included)', () => {
    for (const ms of [60 * MIN - 1000, 60 * MIN]) {
      const r = fare({ policy, chargedTrips: [prev], boardedAt: after(ms) });
      expect(r.fare).toBe(100n);
      expect(r.fareBreakdown).toEqual({ base: 200n, concession: 0n, transfer: 100n, cap: 0n });
      expect(r.transferFrom).toBe(prev);
    }
  });

  it('gives nothing just outside the window', () => {
    for (const ms of [60 * MIN + 1, 60 * MIN + 1000]) {
      const r = fare({ policy, chargedTrips: [prev], boardedAt: after(ms) });
      expect([r.fare, r.fareBreakdown.transfer, r.transferFrom]).toEqual([200n, 0n, null]);
    }
  });

  it('gives nothing on the same route, judged on the previous boarding only', () => {
    expect(fare({ policy, chargedTrips: [prev], routeId: 'R1', boardedAt: after(10 * MIN) }).fare).toBe(200n);
    const sameRouteLast: ChargedTrip = { routeId: 'R2', boardedAt: after(20 * MIN), fare: 200n };
    expect(fare({ policy, chargedTrips: [prev, sameRouteLast], routeId: 'R2', boardedAt: after(30 * MIN) }).fare).toBe(200n);
  });

  it('never takes the fare below zero, and comes after the concession', () => {
    const r = fare({ base: cny(80), policy, chargedTrips: [prev], boardedAt: after(5 * MIN) });
    expect([r.fare, r.fareBreakdown.transfer]).toEqual([0n, 80n]);
    const senior = fare({
      policy: { ...policy, concessions: { SENIOR: { percentOff: 50, minAge: 60 } } },
      rider: { birthDate: '1950-01-01' },
      base: cny(300),
      chargedTrips: [prev],
      boardedAt: after(5 * MIN),
    });
    expect(senior.fareBreakdown).toEqual({ base: 300n, concession: 150n, transfer: 100n, cap: 0n });
    expect(senior.fare).toBe(50n);
  });

  it('looks back by boarding time, not upload order: a late tap takes the boarding just before it', () => {
    // Uploaded first: R1 at 09:00 and R3 at 09:50 (Beijing). A late offline tap boarded R2 at 09:20.
    const later: ChargedTrip = { routeId: 'R3', boardedAt: after(50 * MIN), fare: 200n };
    const r = fare({ policy, chargedTrips: [later, prev], boardedAt: after(20 * MIN) });
    expect(r.transferFrom).toBe(prev);
    expect(r.fare).toBe(100n);
    // A late tap with no charged boarding before it gets no transfer, even with one just after.
    expect(fare({ policy, chargedTrips: [later], boardedAt: after(40 * MIN) }).fare).toBe(200n);
  });

  it('does not count a boarding at the same instant as previous', () => {
    expect(fare({ policy, chargedTrips: [prev], boardedAt: first }).fare).toBe(200n);
  });

  it('follows a boarding of the previous Beijing evening, which does not count toward the cap', () => {
    const lateEvening: ChargedTrip = { routeId: 'R1', boardedAt: at('2026-11-30T15:50:00Z'), fare: 500n }; // 23:50 Beijing
    const r = fare({
      policy: { ...policy, dailyCap: cny(400) },
      chargedTrips: [lateEvening],
      boardedAt: at('2026-11-30T16:20:00Z'), // 00:20 next Beijing day
    });
    expect(r).toMatchObject({ fare: 100n, serviceDay: '2026-12-01', capRemaining: 300n });
    expect(r.fareBreakdown).toEqual({ base: 200n, concession: 0n, transfer: 100n, cap: 0n });
  });
});

describe('computeFare: daily cap', () => {
  const policy: FarePolicy = { dailyCap: cny(500) };
  const morning = (h: number, fareCharged: bigint, routeId = 'R1'): ChargedTrip => ({
    routeId,
    boardedAt: at(`2026-12-01T0${h}:00:00Z`),
    fare: fareCharged,
  });

  it('lets the trip that crosses the cap pay the remainder, and later trips nothing', () => {
    const crossing = fare({ policy, chargedTrips: [morning(0, 200n), morning(1, 200n)], boardedAt: at('2026-12-01T05:00:00Z') });
    expect(crossing).toMatchObject({ fare: 100n, capRemaining: 0n });
    expect(crossing.fareBreakdown).toEqual({ base: 200n, concession: 0n, transfer: 0n, cap: 100n });
    const next = fare({ policy, chargedTrips: [morning(0, 200n), morning(1, 200n), morning(5, 100n)], boardedAt: at('2026-12-01T06:00:00Z') });
    expect(next).toMatchObject({ fare: 0n, capRemaining: 0n });
    expect(next.fareBreakdown.cap).toBe(200n);
  });

  it('charges in full below the cap and exactly up to it', () => {
    expect(fare({ policy, chargedTrips: [morning(0, 100n)] })).toMatchObject({ fare: 200n, capRemaining: 200n });
    expect(fare({ policy, chargedTrips: [morning(0, 300n)] })).toMatchObject({ fare: 200n, capRemaining: 0n });
  });

  it('counts trips of the same Beijing day boarded later (uploaded before a late offline tap), not of other days', () => {
    const laterSameDay: ChargedTrip = { routeId: 'R1', boardedAt: at('2026-12-01T10:00:00Z'), fare: 450n };
    expect(fare({ policy, chargedTrips: [laterSameDay], boardedAt: at('2026-12-01T02:00:00Z') }).fare).toBe(50n);
    const nextDay: ChargedTrip = { routeId: 'R1', boardedAt: at('2026-12-01T16:00:00Z'), fare: 500n }; // 00:00 on the 2nd
    const yesterday: ChargedTrip = { routeId: 'R1', boardedAt: at('2026-11-30T15:59:59Z'), fare: 500n };
    expect(fare({ policy, chargedTrips: [nextDay, yesterday], boardedAt: at('2026-12-01T02:00:00Z') }).fare).toBe(200n);
  });

  it('applies after the transfer, and a cap lowered below what was charged takes the whole fare', () => {
    const r = fare({
      policy: { dailyCap: cny(450), transfer: { windowMinutes: 30, discount: cny(50) } },
      chargedTrips: [{ routeId: 'R1', boardedAt: at('2026-12-01T00:50:00Z'), fare: 300n }],
    });
    expect(r.fareBreakdown).toEqual({ base: 200n, concession: 0n, transfer: 50n, cap: 0n });
    expect(r.fare).toBe(150n);
    expect(() => fare({ policy, chargedTrips: [morning(0, -300n)] })).toThrow(RangeError);
    const lowered = fare({ policy: { dailyCap: cny(100) }, chargedTrips: [morning(0, 300n)] });
    expect([lowered.fare, lowered.fareBreakdown.cap, lowered.capRemaining]).toEqual([0n, 200n, 0n]);
  });
});

describe('computeFare: currencies', () => {
  it('refuses a policy in another currency than the base fare', () => {
    expect(() => fare({ policy: { dailyCap: Money.of(500, 'HKD') } })).toThrow(CurrencyMismatchError);
    expect(() => fare({ policy: { transfer: { windowMinutes: 5, discount: Money.of(5, 'MOP') } } })).toThrow(CurrencyMismatchError);
    expect(fare({ base: Money.of(700, 'HKD'), policy: { dailyCap: Money.of(500, 'HKD') } })).toMatchObject({ fare: 500n, currency: 'HKD' });
  });
});

describe('previousBoarding and chargedTripsRange', () => {
  it('prefers, at equal boarding times, a trip on another route', () => {
    const t = at('2026-12-01T01:00:00Z');
    const same: ChargedTrip = { routeId: 'R2', boardedAt: t, fare: 1n };
    const other: ChargedTrip = { routeId: 'R1', boardedAt: t, fare: 1n };
    expect(previousBoarding([same, other], at('2026-12-01T01:10:00Z'), 'R2')).toBe(other);
    expect(previousBoarding([other, same], at('2026-12-01T01:10:00Z'), 'R2')).toBe(other);
    expect(previousBoarding([same], t, 'R2')).toBeNull();
  });

  it('covers the Beijing day, and the transfer window before it', () => {
    expect(chargedTripsRange(at('2026-12-01T02:00:00Z'), null)).toEqual({ from: at('2026-11-30T16:00:00Z'), to: at('2026-12-01T16:00:00Z') });
    const policy: FarePolicy = { transfer: { windowMinutes: 90, discount: cny(1) } };
    expect(chargedTripsRange(at('2026-11-30T16:30:00Z'), policy)).toEqual({ from: at('2026-11-30T15:00:00Z'), to: at('2026-12-01T16:00:00Z') });
    expect(chargedTripsRange(at('2026-12-01T02:00:00Z'), policy).from).toEqual(at('2026-11-30T16:00:00Z'));
  });
});

// ---- the invariants, over any order and timing of taps -------------------------------------

const DAY0 = at('2026-11-30T16:00:00Z').getTime(); // 00:00 on 1 December, Beijing

const tapArb = fc.record({
  routeId: fc.constantFrom('R1', 'R2', 'R3'),
  // from 3 h before the first Beijing day to the end of the second, to the second
  offsetSeconds: fc.integer({ min: -3 * 3600, max: 48 * 3600 }),
  base: fc.bigInt({ min: 0n, max: 2_000n }),
});

const policyArb: fc.Arbitrary<FarePolicy> = fc.record(
  {
    transfer: fc.record({ windowMinutes: fc.integer({ min: 1, max: 180 }), discount: fc.bigInt({ min: 1n, max: 1_500n }).map(cny) }),
    dailyCap: fc.bigInt({ min: 1n, max: 5_000n }).map(cny),
    concessions: fc.record({ SENIOR: fc.record({ percentOff: fc.integer({ min: 0, max: 100 }), minAge: fc.integer({ min: 0, max: 100 }) }) }),
  },
  { requiredKeys: [] },
);

/** Prices the taps in the given (upload) order, each seeing the trips charged before it, as the service will. */
function priceInOrder(
  taps: { routeId: string; offsetSeconds: number; base: bigint }[],
  order: number[],
  policy: FarePolicy | null,
  birthDate: string | null,
  trimToRange: boolean,
) {
  const charged: (ChargedTrip & { base: bigint; index: number })[] = [];
  const results: ReturnType<typeof computeFare>[] = [];
  for (const i of order) {
    const tap = taps[i];
    const boardedAt = new Date(DAY0 + tap.offsetSeconds * 1000);
    const range = chargedTripsRange(boardedAt, policy);
    const visible = trimToRange ? charged.filter((c) => c.boardedAt >= range.from && c.boardedAt < range.to) : charged;
    const r = computeFare({ trip: { routeId: tap.routeId, boardedAt, base: cny(tap.base) }, rider: { birthDate }, policy, chargedTrips: visible });
    results[i] = r;
    charged.push({ routeId: tap.routeId, boardedAt, fare: r.fare, base: tap.base, index: i });
  }
  return { charged, results };
}

const scenario = fc
  .array(tapArb, { minLength: 1, maxLength: 14 })
  .chain((taps) =>
    fc.record({
      taps: fc.constant(taps),
      order: fc.shuffledSubarray(
        taps.map((_, i) => i),
        { minLength: taps.length, maxLength: taps.length },
      ),
      policy: fc.option(policyArb, { nil: null }),
      birthDate: fc.option(fc.constantFrom('1950-06-15', '1966-12-01', '1966-12-02', '1990-01-01', '1964-02-29'), { nil: null }),
    }),
  );

describe('computeFare: invariants whatever the order and timing of taps (property)', () => {
  it('never charges below 0 or above the base, breakdown adds up, the day stays within the cap', () => {
    fc.assert(
      fc.property(scenario, ({ taps, order, policy, birthDate }) => {
        const { charged, results } = priceInOrder(taps, order, policy, birthDate, true);
        results.forEach((r, i) => {
          const b = r.fareBreakdown;
          expect(b.base).toBe(taps[i].base);
          expect(r.fare >= 0n && r.fare <= b.base).toBe(true);
          expect(b.concession >= 0n && b.transfer >= 0n && b.cap >= 0n).toBe(true);
          expect(b.base - b.concession - b.transfer - b.cap).toBe(r.fare);
          if (policy?.transfer) expect(b.transfer <= policy.transfer.discount.amount).toBe(true);
          if (!policy?.transfer) expect(b.transfer).toBe(0n);
          if (!policy?.dailyCap) expect(b.cap).toBe(0n);
          if (!policy || Object.keys(policy).length === 0) expect(r.fare).toBe(b.base);
        });
        if (policy?.dailyCap) {
          const perDay = new Map<string, bigint>();
          for (const c of charged) perDay.set(shanghaiDay(c.boardedAt), (perDay.get(shanghaiDay(c.boardedAt)) ?? 0n) + c.fare);
          for (const total of perDay.values()) expect(total <= policy.dailyCap.amount).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same fares whether the caller passes all charged trips or only those of chargedTripsRange', () => {
    fc.assert(
      fc.property(scenario, ({ taps, order, policy, birthDate }) => {
        const trimmed = priceInOrder(taps, order, policy, birthDate, true).results;
        const all = priceInOrder(taps, order, policy, birthDate, false).results;
        expect(trimmed.map((r) => r.fareBreakdown)).toEqual(all.map((r) => r.fareBreakdown));
      }),
      { numRuns: 200 },
    );
  });

  it('with a cap only, a day totals min(cap, sum of base fares) whatever the order', () => {
    fc.assert(
      fc.property(scenario, fc.bigInt({ min: 1n, max: 5_000n }), ({ taps, order }, cap) => {
        const { charged } = priceInOrder(taps, order, { dailyCap: cny(cap) }, null, true);
        const days = new Map<string, { paid: bigint; bases: bigint }>();
        for (const c of charged) {
          const d = days.get(shanghaiDay(c.boardedAt)) ?? { paid: 0n, bases: 0n };
          days.set(shanghaiDay(c.boardedAt), { paid: d.paid + c.fare, bases: d.bases + c.base });
        }
        for (const { paid, bases } of days.values()) expect(paid).toBe(bases < cap ? bases : cap);
      }),
    );
  });

  it('in boarding order, charges each trip min(its fare, what the cap leaves), the crossing trip paying the remainder', () => {
    fc.assert(
      fc.property(scenario, fc.bigInt({ min: 1n, max: 5_000n }), ({ taps }, cap) => {
        const byTime = taps.map((_, i) => i).sort((a, b) => taps[a].offsetSeconds - taps[b].offsetSeconds);
        const { results } = priceInOrder(taps, byTime, { dailyCap: cny(cap) }, null, true);
        const spent = new Map<string, bigint>();
        for (const i of byTime) {
          const day = results[i].serviceDay;
          const left = cap - (spent.get(day) ?? 0n);
          const expected = taps[i].base < left ? taps[i].base : left;
          expect(results[i].fare).toBe(expected);
          spent.set(day, (spent.get(day) ?? 0n) + expected);
        }
      }),
    );
  });
});
