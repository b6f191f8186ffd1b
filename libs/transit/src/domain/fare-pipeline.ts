import { type Currency, CurrencyMismatchError, Money, shanghaiDay, shanghaiDayRange } from '@app/common';
import type { FarePolicy } from './fare-policy.js';

/**
 * A trip the rider has already been charged for by this operator (status
 * CHARGED, or UNPAID: owed, paid later through arrears). `fare` is what was
 * charged (bigint minor units, in the currency of the trip being priced;
 * 0 for a free or capped ride, which still counts as a charged boarding).
 */
export interface ChargedTrip {
  tripId?: string;
  routeId: string;
  boardedAt: Date;
  fare: bigint;
}

/** The rider as the fare needs them: the birth date of their verified PRC ID, YYYY-MM-DD, or null when unknown. */
export interface FareRider {
  birthDate: string | null;
}

export interface FareInput {
  /** The trip being priced: its route, its boarding time (the tap's scannedAt, even when uploaded late) and its base fare (route-fare.ts baseFare). */
  trip: { routeId: string; boardedAt: Date; base: Money };
  rider: FareRider;
  /** The operator's policy in force at trip.boardedAt; null or {} = the base fare is charged. */
  policy: FarePolicy | null;
  /**
   * Every trip of this rider with this operator already charged, boarded in
   * `chargedTripsRange(trip.boardedAt, policy)`, read in the transaction that
   * holds the lock on the rider's (operator, Shanghai day) row, so that two
   * taps of one rider are priced one after the other. Trips boarded after
   * trip.boardedAt (taps uploaded earlier but boarded later) belong here too:
   * they count toward the cap. The trip being priced must not be among them.
   */
  chargedTrips: readonly ChargedTrip[];
}

/** The amounts taken off at each step (base: the base fare itself). All >= 0. */
export interface FareBreakdown {
  base: bigint;
  concession: bigint;
  transfer: bigint;
  cap: bigint;
}

export interface FareResult {
  /** What to charge: base - concession - transfer - cap; 0 <= fare <= base. */
  fare: bigint;
  currency: Currency;
  fareBreakdown: FareBreakdown;
  /** The Asia/Shanghai day the trip counts in (its boarding day). */
  serviceDay: string;
  /** The concession applied, if any (also when it took nothing off, e.g. percentOff 0). */
  concession: 'SENIOR' | null;
  /** The previous charged boarding the transfer discount was given for, or null. */
  transferFrom: ChargedTrip | null;
  /** dailyCap - (what was charged that day, this trip included); null without a cap. */
  capRemaining: bigint | null;
}

const MINUTE_MS = 60_000;

function parseDay(day: string): { y: number; m: number; d: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const date = match ? new Date(`${day}T00:00:00Z`) : new Date(NaN);
  if (!match || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) {
    throw new RangeError(`not a calendar day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  }
  return { y: +match[1], m: +match[2], d: +match[3] };
}

/**
 * Age in whole years on a calendar day (both YYYY-MM-DD): the birthday is
 * reached on the same month and day; someone born on 29 February reaches it
 * on 1 March in common years. Negative before birth.
 */
export function ageOnDay(birthDate: string, day: string): number {
  const b = parseDay(birthDate);
  const t = parseDay(day);
  const before = t.m < b.m || (t.m === b.m && t.d < b.d);
  return t.y - b.y - (before ? 1 : 0);
}

/** The age of the rider on the Asia/Shanghai day of `at` (a boarding at 23:30 UTC counts on the next Beijing day). */
export function ageAt(birthDate: string, at: Date): number {
  return ageOnDay(birthDate, shanghaiDay(at));
}

/**
 * [from, to) of the boarding times whose charged trips the pipeline needs for
 * a trip boarded at `boardedAt`: the whole Asia/Shanghai day of boardedAt (the
 * cap), and, when the policy has a transfer, the window before boardedAt too
 * (a transfer may follow a boarding of the previous evening).
 */
export function chargedTripsRange(boardedAt: Date, policy: FarePolicy | null): { from: Date; to: Date } {
  const day = shanghaiDayRange(shanghaiDay(boardedAt));
  const windowMs = (policy?.transfer?.windowMinutes ?? 0) * MINUTE_MS;
  const lookback = new Date(boardedAt.getTime() - windowMs);
  return { from: lookback < day.start ? lookback : day.start, to: day.end };
}

/**
 * The previous charged boarding of a trip boarded at `boardedAt`: among the
 * charged trips, the one with the latest boardedAt strictly before it,
 * whatever order the taps were uploaded and priced in (upload order never
 * matters, only boarding times). When several share that instant, one on
 * another route than `routeId` is preferred. Null when there is none.
 */
export function previousBoarding(chargedTrips: readonly ChargedTrip[], boardedAt: Date, routeId: string): ChargedTrip | null {
  let best: ChargedTrip | null = null;
  const t = boardedAt.getTime();
  for (const c of chargedTrips) {
    const ct = c.boardedAt.getTime();
    if (ct >= t) continue;
    if (!best) best = c;
    else {
      const bt = best.boardedAt.getTime();
      if (ct > bt || (ct === bt && best.routeId === routeId && c.routeId !== routeId)) best = c;
    }
  }
  return best;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function sameCurrency(currency: Currency, m: Money | undefined): void {
  if (m && m.currency !== currency) throw new CurrencyMismatchError(currency, m.currency);
}

/**
 * The fare of one trip (api.md "Transit fare products"), in four steps, each
 * taking an amount off what the previous one left:
 *
 * 1. base: `trip.base` (a FLAT amount, a DISTANCE fare, or maxAmount for a missing tap-out).
 * 2. concession: a rider whose `birthDate` makes them at least SENIOR.minAge on
 *    the Asia/Shanghai day of boardedAt pays floor(base * (100 - percentOff) / 100).
 * 3. transfer: when the previous charged boarding (previousBoarding: latest
 *    boardedAt strictly before this one, by boarding time, not by upload order)
 *    is on another route and at most windowMinutes before this boarding
 *    (inclusive: exactly windowMinutes still counts), `discount` off, never
 *    below zero. Applied once at most; a trip is never discounted twice.
 * 4. cap: the sum of `fare` over the charged trips boarded on the same Shanghai
 *    day (in whatever order they were boarded or priced) plus this fare never
 *    exceeds dailyCap: this trip pays at most the room left (the trip that
 *    crosses the cap pays the remainder, the next ones 0).
 *
 * Trips already charged are never re-priced: a late offline tap only looks
 * back for its transfer, and only takes what room the cap has left. So
 * whatever order and timing taps arrive in, the day's charges stay within the
 * cap, every fare is within [0, base], and with no policy the fare is the base.
 * Currency mixing (a policy not in the base fare's currency) throws
 * CurrencyMismatchError: the policy validator rules it out beforehand.
 */
export function computeFare(input: FareInput): FareResult {
  const { trip, rider, chargedTrips } = input;
  const policy = input.policy ?? {};
  const currency = trip.base.currency;
  sameCurrency(currency, policy.transfer?.discount);
  sameCurrency(currency, policy.dailyCap);
  if (trip.base.isNegative()) throw new RangeError('a base fare is never negative');
  const senior = policy.concessions?.SENIOR;
  if (senior && !(Number.isInteger(senior.percentOff) && senior.percentOff >= 0 && senior.percentOff <= 100)) {
    throw new RangeError(`percentOff must be an integer 0-100, got ${senior.percentOff}`);
  }
  if (policy.transfer && policy.transfer.discount.isNegative()) throw new RangeError('a transfer discount is never negative');
  const serviceDay = shanghaiDay(trip.boardedAt);
  const base = trip.base.amount;
  let due = base;

  let concession: FareResult['concession'] = null;
  let concessionOff = 0n;
  if (senior && rider.birthDate && ageOnDay(rider.birthDate, serviceDay) >= senior.minAge) {
    concession = 'SENIOR';
    const pays = (due * BigInt(100 - senior.percentOff)) / 100n;
    concessionOff = due - pays;
    due = pays;
  }

  let transferFrom: ChargedTrip | null = null;
  let transferOff = 0n;
  if (policy.transfer) {
    const prev = previousBoarding(chargedTrips, trip.boardedAt, trip.routeId);
    if (
      prev &&
      prev.routeId !== trip.routeId &&
      trip.boardedAt.getTime() - prev.boardedAt.getTime() <= policy.transfer.windowMinutes * MINUTE_MS
    ) {
      transferFrom = prev;
      transferOff = min(policy.transfer.discount.amount, due);
      due -= transferOff;
    }
  }

  let capOff = 0n;
  let capRemaining: bigint | null = null;
  if (policy.dailyCap) {
    let chargedToday = 0n;
    for (const c of chargedTrips) {
      if (c.fare < 0n) throw new RangeError('a charged fare is never negative');
      if (shanghaiDay(c.boardedAt) === serviceDay) chargedToday += c.fare;
    }
    const room = policy.dailyCap.amount > chargedToday ? policy.dailyCap.amount - chargedToday : 0n;
    capOff = due > room ? due - room : 0n;
    due -= capOff;
    capRemaining = room - due;
  }

  return {
    fare: due,
    currency,
    fareBreakdown: { base, concession: concessionOff, transfer: transferOff, cap: capOff },
    serviceDay,
    concession,
    transferFrom,
    capRemaining,
  };
}
