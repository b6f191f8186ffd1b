import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';

export const CURRENCY_CODES = ['CNY', 'HKD', 'MOP'] as const;
export type Currency = (typeof CURRENCY_CODES)[number];

/** Largest amount a single payment may carry (api.md): 100,000,000 minor units. */
export const MAX_PAYMENT_MINOR = 100_000_000;

export class CurrencyMismatchError extends Error {
  constructor(a: Currency, b: Currency) {
    super(`Cannot combine ${a} with ${b}`);
    this.name = 'CurrencyMismatchError';
  }
}

/**
 * An amount of money: bigint minor units (fen, cents, avos) and a currency.
 * Immutable; arithmetic refuses to mix currencies; never a float.
 */
export class Money {
  private constructor(
    readonly amount: bigint,
    readonly currency: Currency,
  ) {}

  static of(amount: bigint | number, currency: Currency): Money {
    if (typeof amount === 'number' && !Number.isSafeInteger(amount)) {
      throw new RangeError(`Money needs an integer number of minor units, got ${amount}`);
    }
    if (!(CURRENCY_CODES as readonly string[]).includes(currency)) throw new RangeError(`Unknown currency ${String(currency)}`);
    return new Money(BigInt(amount), currency);
  }

  static zero(currency: Currency): Money {
    return new Money(0n, currency);
  }

  plus(other: Money): Money {
    this.same(other);
    return new Money(this.amount + other.amount, this.currency);
  }

  minus(other: Money): Money {
    this.same(other);
    return new Money(this.amount - other.amount, this.currency);
  }

  negate(): Money {
    return new Money(-this.amount, this.currency);
  }

  isZero(): boolean {
    return this.amount === 0n;
  }

  isPositive(): boolean {
    return this.amount > 0n;
  }

  isNegative(): boolean {
    return this.amount < 0n;
  }

  compare(other: Money): -1 | 0 | 1 {
    this.same(other);
    return this.amount < other.amount ? -1 : this.amount > other.amount ? 1 : 0;
  }

  equals(other: Money): boolean {
    return this.currency === other.currency && this.amount === other.amount;
  }

  /**
   * Splits into parts proportional to `ratios` (non-negative integers, not
   * all zero) by the largest-remainder method: the parts sum exactly to this
   * amount and differ from the exact shares by less than one minor unit.
   */
  allocate(ratios: readonly (number | bigint)[]): Money[] {
    const weights = ratios.map((r) => BigInt(r));
    if (weights.length === 0 || weights.some((w) => w < 0n)) throw new RangeError('ratios must be non-negative');
    const total = weights.reduce((a, b) => a + b, 0n);
    if (total === 0n) throw new RangeError('ratios must not all be zero');
    const sign = this.amount < 0n ? -1n : 1n;
    const abs = this.amount * sign;
    const shares = weights.map((w) => (abs * w) / total);
    const remainders = weights.map((w, i) => ({ i, r: (abs * w) % total }));
    let left = abs - shares.reduce((a, b) => a + b, 0n);
    remainders.sort((a, b) => (b.r > a.r ? 1 : b.r < a.r ? -1 : a.i - b.i));
    for (const { i } of remainders) {
      if (left === 0n) break;
      shares[i] += 1n;
      left -= 1n;
    }
    return shares.map((s) => new Money(s * sign, this.currency));
  }

  /** JSON: `{ amount: <integer>, currency }` (api.md). */
  toJSON(): { amount: number; currency: Currency } {
    if (this.amount > BigInt(Number.MAX_SAFE_INTEGER) || this.amount < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError('amount too large for JSON');
    }
    return { amount: Number(this.amount), currency: this.currency };
  }

  toString(): string {
    return `${this.amount} ${this.currency}`;
  }

  private same(other: Money): void {
    if (other.currency !== this.currency) throw new CurrencyMismatchError(this.currency, other.currency);
  }
}

/**
 * Money in a request body where a payment is meant: a positive integer of
 * minor units, at most 100,000,000, and a known currency. Strings, floats,
 * zero and negatives are refused (400 VALIDATION_FAILED).
 */
export class PaymentAmountDto {
  @ApiProperty({ description: 'minor units (fen, cents)', minimum: 1, maximum: MAX_PAYMENT_MINOR, example: 1250 })
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_MINOR)
  amount: number;

  @ApiProperty({ enum: CURRENCY_CODES })
  @IsIn(CURRENCY_CODES)
  currency: Currency;

  toMoney(): Money {
    return Money.of(this.amount, this.currency);
  }
}
