import { describe, expect, it } from '@jest/globals';
import { billStatus, decideAmount } from './amount-rule.js';
import { maskName } from './mask-name.js';

describe('decideAmount', () => {
  const exact = { allowsPartial: false, allowsAdvance: false };
  it('defaults to the outstanding amount', () => {
    expect(decideAmount(500n, undefined, exact)).toEqual({ ok: true, amount: 500n });
  });
  it('refuses when nothing is outstanding, whatever the rules', () => {
    expect(decideAmount(0n, undefined, { allowsPartial: true, allowsAdvance: true })).toEqual({ ok: false, code: 'BILL_ALREADY_PAID' });
    expect(decideAmount(-5n, 10n, exact)).toEqual({ ok: false, code: 'BILL_ALREADY_PAID' });
  });
  it('applies the exact, partial and advance rules', () => {
    expect(decideAmount(500n, 501n, exact)).toEqual({ ok: false, code: 'OVERPAYMENT' });
    expect(decideAmount(500n, 499n, exact)).toEqual({ ok: false, code: 'PARTIAL_NOT_ALLOWED' });
    expect(decideAmount(500n, 499n, { allowsPartial: true, allowsAdvance: false })).toEqual({ ok: true, amount: 499n });
    expect(decideAmount(500n, 800n, { allowsPartial: false, allowsAdvance: true })).toEqual({ ok: true, amount: 800n });
    expect(decideAmount(500n, 800n, { allowsPartial: true, allowsAdvance: false })).toEqual({ ok: false, code: 'OVERPAYMENT' });
  });
});

describe('billStatus and maskName', () => {
  it('derives the status from what is paid', () => {
    expect([billStatus(100n, 0n), billStatus(100n, 40n), billStatus(100n, 100n), billStatus(100n, 130n)]).toEqual(['UNPAID', 'PARTIALLY_PAID', 'PAID', 'PAID']);
  });
  it('masks all but the first character', () => {
    expect([maskName('张三'), maskName('欧阳娜娜'), maskName('Li'), maskName('王'), maskName(null)]).toEqual(['张*', '欧***', 'L*', '*', null]);
  });
});
