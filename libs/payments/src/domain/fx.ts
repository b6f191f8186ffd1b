import type { Currency } from '@app/common';

export interface FxQuote {
  /** Decimal string as configured, e.g. "1.0870". */
  rate: string;
  source: string;
  asOf: Date;
}

export interface FxRates {
  quote(from: Currency, to: Currency): FxQuote | undefined;
}

const SCALE = 10n ** 8n;

/** Parses `CNY/HKD=1.0870,MOP/HKD=0.9709` (validated by the config already). */
export function parseFxRates(spec: string, source: string, asOf: Date): FxRates {
  const table = new Map<string, FxQuote>();
  for (const pair of spec.split(',')) {
    const [key, rate] = pair.split('=');
    table.set(key.trim(), { rate: rate.trim(), source, asOf });
  }
  return { quote: (from, to) => table.get(`${from}/${to}`) };
}

/** The rate as an exact fraction over 10^8. */
function scaled(rate: string): bigint {
  const [whole, frac = ''] = rate.split('.');
  return BigInt(whole) * SCALE + BigInt(frac.padEnd(8, '0').slice(0, 8));
}

/** What the shopper pays in the target currency: amount x rate, rounded up to the minor unit (never short). */
export function convertUp(amount: bigint, rate: string): bigint {
  const product = amount * scaled(rate);
  return (product + SCALE - 1n) / SCALE;
}

/** A part of a converted amount, in proportion, rounded down (refunds never return more than was paid). */
export function proportion(part: bigint, whole: bigint, convertedWhole: bigint): bigint {
  return (part * convertedWhole) / whole;
}
