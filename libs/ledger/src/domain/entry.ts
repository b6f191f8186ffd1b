import type { Currency } from '@app/common';

export interface PostingInput {
  accountId: string;
  currency: Currency;
  /** Signed minor units: positive credits the account, negative debits it. */
  amount: bigint;
}

export class UnbalancedEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnbalancedEntryError';
  }
}

/**
 * Checks an entry before it reaches the database (which checks again):
 * at least two postings, none zero, each currency summing to zero. Postings
 * to the same account are merged; the result is sorted by account id, the
 * order in which accounts are locked.
 */
export function normaliseEntry(postings: readonly PostingInput[]): PostingInput[] {
  if (postings.length < 2) throw new UnbalancedEntryError('an entry needs at least two postings');
  const merged = new Map<string, PostingInput>();
  for (const p of postings) {
    if (typeof p.amount !== 'bigint') throw new UnbalancedEntryError('amounts must be bigint minor units');
    const existing = merged.get(p.accountId);
    if (existing && existing.currency !== p.currency) throw new UnbalancedEntryError(`account ${p.accountId} posted in two currencies`);
    merged.set(p.accountId, { ...p, amount: (existing?.amount ?? 0n) + p.amount });
  }
  const result = [...merged.values()].filter((p) => p.amount !== 0n).sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  const sums = new Map<string, bigint>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount);
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw new UnbalancedEntryError(`postings in ${currency} sum to ${sum}, not zero`);
  }
  if (result.length < 2) throw new UnbalancedEntryError('an entry must move money between at least two accounts');
  return result;
}
