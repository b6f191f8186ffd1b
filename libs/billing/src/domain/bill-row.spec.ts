import { describe, expect, it } from '@jest/globals';
import { parseBillRow } from './bill-row.js';

const good = { customerRef: 'TJ-0001', period: '2026-11', amount: 12345, currency: 'CNY', dueDate: '2026-12-15', customerName: '张三' };

describe('parseBillRow', () => {
  it('takes a well-formed row', () => {
    expect(parseBillRow(good, 'CNY')).toEqual({ ok: true, row: { ...good, amount: 12345n } });
    expect(parseBillRow({ ...good, customerName: undefined }, 'CNY')).toMatchObject({ ok: true, row: { customerName: null } });
  });

  it.each([
    [{ ...good, amount: 0 }, 'amount'],
    [{ ...good, amount: 1.5 }, 'amount'],
    [{ ...good, amount: '100' }, 'amount'],
    [{ ...good, amount: 100_000_001 }, 'amount'],
    [{ ...good, period: '2026-13' }, 'period'],
    [{ ...good, dueDate: '2026-02-30' }, 'dueDate'],
    [{ ...good, dueDate: '0000-01-01' }, 'dueDate'],
    [{ ...good, period: '0000-01' }, 'period'],
    [{ ...good, currency: 'HKD' }, 'currency'],
    [{ ...good, customerRef: '' }, 'customerRef'],
    [{ ...good, customerRef: 'a b' }, 'customerRef'],
    [{ ...good, extra: 1 }, 'extra'],
    [{ ...good, customerName: 'x'.repeat(101) }, 'customerName'],
  ])('refuses %p (%s)', (row, field) => {
    const result = parseBillRow(row, 'CNY');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join(' ')).toContain(field);
  });

  it('refuses what is not an object', () => {
    expect(parseBillRow(null, 'CNY').ok).toBe(false);
    expect(parseBillRow([good], 'CNY').ok).toBe(false);
  });
});
