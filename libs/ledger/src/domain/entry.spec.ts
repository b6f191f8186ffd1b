import { describe, expect, it } from '@jest/globals';
import { normaliseEntry, UnbalancedEntryError } from './entry.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

describe('normaliseEntry', () => {
  it('accepts a balanced entry and orders it by account id', () => {
    const out = normaliseEntry([
      { accountId: C, currency: 'CNY', amount: 100n },
      { accountId: A, currency: 'CNY', amount: -100n },
    ]);
    expect(out.map((p) => p.accountId)).toEqual([A, C]);
  });

  it('refuses entries that do not balance per currency', () => {
    expect(() => normaliseEntry([{ accountId: A, currency: 'CNY', amount: -100n }, { accountId: B, currency: 'CNY', amount: 99n }])).toThrow(UnbalancedEntryError);
    expect(() =>
      normaliseEntry([
        { accountId: A, currency: 'CNY', amount: -100n },
        { accountId: B, currency: 'HKD', amount: 100n },
      ]),
    ).toThrow(/CNY/);
  });

  it('merges postings to one account, and refuses entries that move nothing', () => {
    const out = normaliseEntry([
      { accountId: A, currency: 'CNY', amount: -60n },
      { accountId: A, currency: 'CNY', amount: -40n },
      { accountId: B, currency: 'CNY', amount: 100n },
    ]);
    expect(out).toEqual([
      { accountId: A, currency: 'CNY', amount: -100n },
      { accountId: B, currency: 'CNY', amount: 100n },
    ]);
    expect(() => normaliseEntry([{ accountId: A, currency: 'CNY', amount: 5n }, { accountId: A, currency: 'CNY', amount: -5n }])).toThrow(UnbalancedEntryError);
    expect(() => normaliseEntry([{ accountId: A, currency: 'CNY', amount: 0n }])).toThrow(UnbalancedEntryError);
  });
});
