import { type Currency, type ErrorDetail, Money, ValidationFailedError } from '@app/common';
import { Problems, isPlainObject, readCurrency, readInt, readMinor, refuseUnknown } from './fields.js';

/** Senior concession: a rider at least `minAge` on the boarding day pays (100 - percentOff)%. */
export interface SeniorConcession {
  percentOff: number;
  minAge: number;
}

/**
 * An operator's fare policy (api.md, PUT /v1/transit/operators/:operatorId/fare-policy).
 * Every part is optional; an empty policy changes nothing. Money values are in
 * the operator's currency (the validator checks it).
 */
export interface FarePolicy {
  transfer?: { windowMinutes: number; discount: Money };
  dailyCap?: Money;
  concessions?: { SENIOR?: SeniorConcession };
}

export const DEFAULT_SENIOR_MIN_AGE = 60;
export const TRANSFER_WINDOW_MIN_MINUTES = 1;
export const TRANSFER_WINDOW_MAX_MINUTES = 180;
/** minAge bounds: a concession age outside 0..150 is a typo, not a policy. */
export const MAX_MIN_AGE = 150;

export type FarePolicyValidation = { ok: true; policy: FarePolicy } | { ok: false; details: ErrorDetail[] };

const TOP = ['transfer', 'dailyCap', 'concessions'] as const;
const TRANSFER = ['windowMinutes', 'discount'] as const;
const MONEY = ['amount', 'currency'] as const;
const CONCESSIONS = ['SENIOR'] as const;
const SENIOR = ['percentOff', 'minAge'] as const;

function readMoney(v: unknown, field: string, currency: Currency | undefined, out: Problems): Money | undefined {
  if (!isPlainObject(v)) {
    out.add(field, 'must be money: {amount, currency}');
    return undefined;
  }
  refuseUnknown(v, MONEY, field, out);
  const amount = readMinor(v.amount, `${field}.amount`, 1, out);
  const cur = readCurrency(v.currency, `${field}.currency`, currency, out);
  return amount !== undefined && cur ? Money.of(amount, cur) : undefined;
}

/** `undefined` and `null` both mean "not set" (PUT replaces the whole policy). */
function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

/**
 * Checks the PUT body of a fare policy and turns it into a FarePolicy with
 * defaults filled in (SENIOR.minAge 60), or answers every problem as
 * `{field, problems}` with dotted fields ("transfer.windowMinutes",
 * "concessions.SENIOR.percentOff", "dailyCap.amount"), the shape of
 * ValidationFailedError. Rules: transfer needs windowMinutes (integer 1-180)
 * and discount (money, 1..100,000,000 minor units); dailyCap money likewise;
 * SENIOR.percentOff an integer 0-100, minAge an integer 0-150 (default 60);
 * money in `currency` (the operator's) when given; unknown fields refused; a
 * part given as null is the same as a part left out.
 */
export function validateFarePolicy(raw: unknown, opts: { currency?: Currency } = {}): FarePolicyValidation {
  const out = new Problems();
  if (!isPlainObject(raw)) {
    out.add('body', 'must be an object');
    return { ok: false, details: out.toDetails() };
  }
  refuseUnknown(raw, TOP, '', out);
  const policy: FarePolicy = {};

  if (!absent(raw.transfer)) {
    if (!isPlainObject(raw.transfer)) out.add('transfer', 'must be an object: {windowMinutes, discount}');
    else {
      refuseUnknown(raw.transfer, TRANSFER, 'transfer', out);
      const windowMinutes = readInt(
        raw.transfer.windowMinutes,
        'transfer.windowMinutes',
        TRANSFER_WINDOW_MIN_MINUTES,
        TRANSFER_WINDOW_MAX_MINUTES,
        out,
      );
      const discount = readMoney(raw.transfer.discount, 'transfer.discount', opts.currency, out);
      if (windowMinutes !== undefined && discount) policy.transfer = { windowMinutes, discount };
    }
  }

  if (!absent(raw.dailyCap)) {
    const cap = readMoney(raw.dailyCap, 'dailyCap', opts.currency, out);
    if (cap) policy.dailyCap = cap;
  }

  if (!absent(raw.concessions)) {
    if (!isPlainObject(raw.concessions)) out.add('concessions', 'must be an object: {SENIOR?}');
    else {
      refuseUnknown(raw.concessions, CONCESSIONS, 'concessions', out);
      const senior = raw.concessions.SENIOR;
      if (!absent(senior)) {
        if (!isPlainObject(senior)) out.add('concessions.SENIOR', 'must be an object: {percentOff, minAge?}');
        else {
          refuseUnknown(senior, SENIOR, 'concessions.SENIOR', out);
          const percentOff = readInt(senior.percentOff, 'concessions.SENIOR.percentOff', 0, 100, out);
          const minAge = absent(senior.minAge)
            ? DEFAULT_SENIOR_MIN_AGE
            : readInt(senior.minAge, 'concessions.SENIOR.minAge', 0, MAX_MIN_AGE, out);
          if (percentOff !== undefined && minAge !== undefined) policy.concessions = { SENIOR: { percentOff, minAge } };
        }
      }
    }
  }

  if (policy.transfer && policy.dailyCap && policy.transfer.discount.currency !== policy.dailyCap.currency) {
    out.add('dailyCap.currency', 'must be the currency of transfer.discount');
  }
  return out.empty ? { ok: true, policy } : { ok: false, details: out.toDetails() };
}

/** validateFarePolicy, throwing ValidationFailedError (400 VALIDATION_FAILED) on any problem. */
export function parseFarePolicy(raw: unknown, opts: { currency?: Currency } = {}): FarePolicy {
  const result = validateFarePolicy(raw, opts);
  if (!result.ok) throw new ValidationFailedError(result.details);
  return result.policy;
}

/** The policy as the API answers it (and as it can be stored as jsonb): integers of minor units. */
export interface FarePolicyJson {
  transfer?: { windowMinutes: number; discount: { amount: number; currency: Currency } };
  dailyCap?: { amount: number; currency: Currency };
  concessions?: { SENIOR?: SeniorConcession };
}

export function farePolicyToJson(policy: FarePolicy): FarePolicyJson {
  const json: FarePolicyJson = {};
  if (policy.transfer) json.transfer = { windowMinutes: policy.transfer.windowMinutes, discount: policy.transfer.discount.toJSON() };
  if (policy.dailyCap) json.dailyCap = policy.dailyCap.toJSON();
  if (policy.concessions?.SENIOR) json.concessions = { SENIOR: { ...policy.concessions.SENIOR } };
  return json;
}

/** One stored version of an operator's policy: in force for trips boarded at or after `effectiveFrom`. */
export interface FarePolicyVersion {
  effectiveFrom: Date;
  policy: FarePolicy;
}

/**
 * The policy in force for a trip boarded at `boardedAt` (a PUT "applies to
 * trips boarded from then on"): the version with the latest effectiveFrom at
 * or before boardedAt, so that an offline tap uploaded after a policy change
 * is priced by the policy of its boarding time (two versions with the same
 * effectiveFrom: the one listed last). Null when none was in force yet.
 */
export function policyAt(versions: readonly FarePolicyVersion[], boardedAt: Date): FarePolicy | null {
  let best: FarePolicyVersion | null = null;
  for (const v of versions) {
    if (v.effectiveFrom.getTime() > boardedAt.getTime()) continue;
    if (!best || v.effectiveFrom.getTime() >= best.effectiveFrom.getTime()) best = v;
  }
  return best ? best.policy : null;
}
