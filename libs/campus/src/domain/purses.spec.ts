import { describe, expect, it } from '@jest/globals';
import { nameKey, splitCharge, splitRefund, splitSubsidy, takeFromLots } from './purses.js';

describe('campus purses', () => {
  it('matches names across width and spaces', () => {
    expect(nameKey('张 三')).toBe(nameKey('张三'));
    expect(nameKey('ＺＨＡＮＧ　San')).toBe(nameKey('zhang san'));
    expect(nameKey('张三')).not.toBe(nameKey('张四'));
  });

  it('spends subsidy first', () => {
    expect(splitCharge(500n, 300n)).toEqual({ subsidy: 300n, cash: 200n });
    expect(splitCharge(200n, 300n)).toEqual({ subsidy: 200n, cash: 0n });
    expect(splitCharge(200n, 0n)).toEqual({ subsidy: 0n, cash: 200n });
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

  it('takes from lots in order', () => {
    expect(takeFromLots(150n, [{ id: 'a', remaining: 100n }, { id: 'b', remaining: 100n }])).toEqual([{ id: 'a', amount: 100n }, { id: 'b', amount: 50n }]);
    expect(() => takeFromLots(300n, [{ id: 'a', remaining: 100n }])).toThrow();
  });
});
