import { type Currency, type ErrorDetail, Money } from '@app/common';
import { Problems, isPlainObject, join, readCurrency, readInt, readMinor, refuseUnknown } from './fields.js';

/** A route's fare (api.md, POST /v1/transit/routes). Amounts are bigint minor units. */
export type RouteFare =
  | { type: 'FLAT'; amount: bigint; currency: Currency }
  | { type: 'DISTANCE'; baseAmount: bigint; baseStops: number; perStopAmount: bigint; maxAmount: bigint; currency: Currency };

export type RouteFareType = RouteFare['type'];

/** Largest stop index / baseStops accepted: a bus route with more stops than this is not a bus route. */
export const MAX_STOPS = 1000;

const FLAT_FIELDS = ['type', 'amount', 'currency'] as const;
const DISTANCE_FIELDS = ['type', 'baseAmount', 'baseStops', 'perStopAmount', 'maxAmount', 'currency'] as const;

export type RouteFareValidation = { ok: true; fare: RouteFare } | { ok: false; details: ErrorDetail[] };

/**
 * Checks a fare definition from a request body (JSON numbers) and turns it
 * into a RouteFare, or answers every problem as `{field, problems}` (fields
 * named under `prefix`, default "fare": "fare.maxAmount"), the shape of
 * ValidationFailedError. Rules: type FLAT or DISTANCE; amount, baseAmount and
 * maxAmount integers of minor units 1..100,000,000; perStopAmount 0..that;
 * baseStops an integer 0..MAX_STOPS; maxAmount >= baseAmount; a known
 * currency, and the operator's when `currency` is given; no unknown fields.
 */
export function validateRouteFare(raw: unknown, opts: { currency?: Currency; prefix?: string } = {}): RouteFareValidation {
  const prefix = opts.prefix ?? 'fare';
  const out = new Problems();
  if (!isPlainObject(raw)) {
    out.add(prefix || 'fare', 'must be an object');
    return { ok: false, details: out.toDetails() };
  }
  const f = (k: string) => join(prefix, k);
  const currency = readCurrency(raw.currency, f('currency'), opts.currency, out);
  if (raw.type === 'FLAT') {
    refuseUnknown(raw, FLAT_FIELDS, prefix, out);
    const amount = readMinor(raw.amount, f('amount'), 1, out);
    if (!out.empty || amount === undefined || !currency) return { ok: false, details: out.toDetails() };
    return { ok: true, fare: { type: 'FLAT', amount, currency } };
  }
  if (raw.type === 'DISTANCE') {
    refuseUnknown(raw, DISTANCE_FIELDS, prefix, out);
    const baseAmount = readMinor(raw.baseAmount, f('baseAmount'), 1, out);
    const baseStops = readInt(raw.baseStops, f('baseStops'), 0, MAX_STOPS, out);
    const perStopAmount = readMinor(raw.perStopAmount, f('perStopAmount'), 0, out);
    const maxAmount = readMinor(raw.maxAmount, f('maxAmount'), 1, out);
    if (baseAmount !== undefined && maxAmount !== undefined && maxAmount < baseAmount) {
      out.add(f('maxAmount'), 'must be at least baseAmount');
    }
    if (
      !out.empty ||
      baseAmount === undefined ||
      baseStops === undefined ||
      perStopAmount === undefined ||
      maxAmount === undefined ||
      !currency
    ) {
      return { ok: false, details: out.toDetails() };
    }
    return { ok: true, fare: { type: 'DISTANCE', baseAmount, baseStops, perStopAmount, maxAmount, currency } };
  }
  out.add(f('type'), 'must be FLAT or DISTANCE');
  return { ok: false, details: out.toDetails() };
}

function stopIndex(v: number, name: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

/**
 * The DISTANCE fare of a ride from stop `stopIn` to stop `stopOut` (either
 * direction): `min(maxAmount, baseAmount + perStopAmount * max(0, stops - baseStops))`
 * with `stops = |stopOut - stopIn|`. Stop indexes must be non-negative
 * integers (checked on the tap before; a RangeError here is a bug).
 */
export function distanceFare(fare: Extract<RouteFare, { type: 'DISTANCE' }>, stopIn: number, stopOut: number): Money {
  const stops = Math.abs(stopIndex(stopOut, 'stopOut') - stopIndex(stopIn, 'stopIn'));
  const extra = BigInt(Math.max(0, stops - fare.baseStops));
  const raw = fare.baseAmount + fare.perStopAmount * extra;
  return Money.of(raw < fare.maxAmount ? raw : fare.maxAmount, fare.currency);
}

/**
 * The base fare of a ride, before the fare policy (fare-pipeline.ts):
 * a FLAT route's amount; a DISTANCE route's distance fare when both stops are
 * known, and its maxAmount when the tap-out is missing (`stopOut` null: an IN
 * with no OUT within 4 hours, tap-rules.ts).
 */
export function baseFare(fare: RouteFare, ride: { stopIn?: number | null; stopOut?: number | null } = {}): Money {
  if (fare.type === 'FLAT') return Money.of(fare.amount, fare.currency);
  if (ride.stopIn == null || ride.stopOut == null) return Money.of(fare.maxAmount, fare.currency);
  return distanceFare(fare, ride.stopIn, ride.stopOut);
}

/** The fare as api.md writes it in JSON (integers of minor units). */
export function routeFareToJson(fare: RouteFare): Record<string, string | number> {
  if (fare.type === 'FLAT') return { type: 'FLAT', amount: Number(fare.amount), currency: fare.currency };
  return {
    type: 'DISTANCE',
    baseAmount: Number(fare.baseAmount),
    baseStops: fare.baseStops,
    perStopAmount: Number(fare.perStopAmount),
    maxAmount: Number(fare.maxAmount),
    currency: fare.currency,
  };
}
