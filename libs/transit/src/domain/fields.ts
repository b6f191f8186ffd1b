import { CURRENCY_CODES, type Currency, type ErrorDetail, MAX_PAYMENT_MINOR } from '@app/common';

/**
 * Collects `{field, problems}` the way ValidationFailedError carries them
 * (one entry per field, problems appended in order).
 */
export class Problems {
  private readonly byField = new Map<string, string[]>();

  add(field: string, problem: string): void {
    const list = this.byField.get(field);
    if (list) list.push(problem);
    else this.byField.set(field, [problem]);
  }

  get empty(): boolean {
    return this.byField.size === 0;
  }

  toDetails(): ErrorDetail[] {
    return [...this.byField].map(([field, problems]) => ({ field, problems }));
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "a" + "b" -> "a.b"; "" + "b" -> "b". */
export function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/** Unknown keys of a body object: each reported as "is not a known field" (the wording of the global pipe). */
export function refuseUnknown(obj: Record<string, unknown>, known: readonly string[], prefix: string, out: Problems): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) out.add(join(prefix, key), 'is not a known field');
}

/**
 * An integer JSON number of minor units in [min, MAX_PAYMENT_MINOR]; strings,
 * floats, bigints and out-of-range values are refused (api.md money rules).
 */
export function readMinor(v: unknown, field: string, min: number, out: Problems): bigint | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_PAYMENT_MINOR) {
    out.add(field, `must be an integer of minor units, ${min} to ${MAX_PAYMENT_MINOR}`);
    return undefined;
  }
  return BigInt(v);
}

export function readInt(v: unknown, field: string, min: number, max: number, out: Problems): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    out.add(field, `must be an integer from ${min} to ${max}`);
    return undefined;
  }
  return v;
}

/** A known currency; when `expected` is given (the operator's), only that one. */
export function readCurrency(v: unknown, field: string, expected: Currency | undefined, out: Problems): Currency | undefined {
  if (typeof v !== 'string' || !(CURRENCY_CODES as readonly string[]).includes(v)) {
    out.add(field, `must be one of ${CURRENCY_CODES.join(', ')}`);
    return undefined;
  }
  if (expected && v !== expected) {
    out.add(field, `must be the operator's currency, ${expected}`);
    return undefined;
  }
  return v as Currency;
}
