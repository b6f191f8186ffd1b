import { describe, expect, it } from '@jest/globals';
import { bigintTransformer } from './bigint.transformer.js';

describe('bigintTransformer', () => {
  it('reads int8 strings as bigint, beyond 2^53 exactly', () => {
    expect(bigintTransformer.from('9007199254740993')).toBe(9007199254740993n);
    expect(bigintTransformer.from('-5')).toBe(-5n);
  });

  it('writes bigint as its decimal string', () => {
    expect(bigintTransformer.to(9007199254740993n)).toBe('9007199254740993');
  });

  it('passes null and undefined through', () => {
    expect(bigintTransformer.from(null)).toBeNull();
    expect(bigintTransformer.to(undefined)).toBeUndefined();
  });

  it('refuses a number (floats must never reach a money column)', () => {
    expect(() => bigintTransformer.to(1.5 as unknown as bigint)).toThrow(TypeError);
  });
});
