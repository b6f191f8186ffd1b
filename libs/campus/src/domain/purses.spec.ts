import { describe, expect, it } from '@jest/globals';
import { nameKey, splitRefund, splitSubsidy } from './purses.js';

describe('campus purses', () => {
  it('matches names across width and spaces', () => {
    expect(nameKey('张 三')).toBe(nameKey('张三'));
    expect(nameKey('ＺＨＡＮＧ　San')).toBe(nameKey('zhang san'));
    expect(nameKey('张三')).not.toBe(nameKey('张四'));
  });

  it('refunds cash first, never above the charge', () => {
    const c = { subsidyAmount: 300n, cashAmount: 200n, refundedSubsidy: 0n, refundedCash: 0n };
    expect(splitRefund(250n, c)).toEqual({ cash: 200n, subsidy: 50n });
    expect(splitRefund(501n, c)).toBeUndefined();
    expect(splitRefund(100n, { ...c, refundedCash: 200n, refundedSubsidy: 250n })).toBeUndefined();
    expect(splitRefund(50n, { ...c, refundedCash: 200n, refundedSubsidy: 250n })).toEqual({ cash: 0n, subsidy: 50n });
  });

  it('repays a negative balance from a subsidy first', () => {
    expect(splitSubsidy(1000n, -300n)).toEqual({ repay: 300n, subsidy: 700n });
    expect(splitSubsidy(100n, -300n)).toEqual({ repay: 100n, subsidy: 0n });
    expect(splitSubsidy(100n, 50n)).toEqual({ repay: 0n, subsidy: 100n });
  });
});
