import type { ValueTransformer } from 'typeorm';

/**
 * node-postgres returns int8 as a string; money and counters must be bigint,
 * never number. Use on every `bigint` column: `@Column({ type: 'bigint', transformer: bigintTransformer })`.
 */
export const bigintTransformer: ValueTransformer = {
  to(value: bigint | null | undefined): string | null | undefined {
    if (value === null || value === undefined) return value;
    if (typeof value !== 'bigint') throw new TypeError(`Expected a bigint, got ${typeof value}`);
    return value.toString();
  },
  from(value: string | null | undefined): bigint | null | undefined {
    if (value === null || value === undefined) return value;
    return BigInt(value);
  },
};
