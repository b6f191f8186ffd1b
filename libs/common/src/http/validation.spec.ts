import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation.js';

describe('flattenValidationErrors', () => {
  it('gives nested and array fields a path', () => {
    const errors: ValidationError[] = [
      { property: 'amount', constraints: { isInt: 'amount must be an integer number' }, children: [] },
      {
        property: 'bills',
        children: [{ property: '0', children: [{ property: 'period', constraints: { matches: 'bad period' } }] }],
      },
      { property: 'roles', constraints: { whitelistValidation: 'property roles should not exist' } },
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'amount', problems: ['amount must be an integer number'] },
      { field: 'bills[0].period', problems: ['bad period'] },
      { field: 'roles', problems: ['is not a known field'] },
    ]);
  });
});
