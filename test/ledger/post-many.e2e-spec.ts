import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
import { LedgerReferenceConflictError, LedgerService, verifyLedger } from '@app/ledger';
import type { EntryInput, LedgerAccount } from '@app/ledger';
import { entities, migrations } from '@app/platform';
import { freshDatabase } from '../support/database.js';

/** ledger_post_many() (set-based): batches of entries where one refused entry does not fail the others. */
describe('ledger: many entries in one call', () => {
  let ds: DataSource;
  let ledger: LedgerService;

  beforeAll(async () => {
    const { url } = await freshDatabase();
    ds = await new DataSource(
      buildDataSourceOptions({ url, poolSize: 12, statementTimeoutMs: 20_000, applicationName: 'post-many-test', migrations, entities }),
    ).initialize();
    ledger = new LedgerService(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const wallet = (floor?: bigint) => ledger.account({ ownerType: 'USER', ownerId: randomUUID(), purpose: 'WALLET', currency: 'CNY', ...(floor ? { floor } : {}) });
  const system = () => ledger.account({ ownerType: 'PLATFORM', ownerId: `t-${randomUUID()}`, purpose: 'ADJUSTMENTS', currency: 'CNY', allowNegative: true });
  const hot = () => ledger.account({ ownerType: 'ORGANIZATION', ownerId: randomUUID(), purpose: 'REVENUE', currency: 'CNY', hot: true });
  const move = (from: LedgerAccount, to: LedgerAccount, amount: bigint, reference = `pm:${randomUUID()}`): EntryInput => ({
    reference,
    kind: 'TEST',
    postings: [
      { accountId: from.id, currency: 'CNY', amount: -amount },
      { accountId: to.id, currency: 'CNY', amount },
    ],
  });
  const fund = async (to: LedgerAccount, amount: bigint) => ledger.post(move(await system(), to, amount));
  const balance = async (a: LedgerAccount) => (await ledger.balance(a.id)).amount;
  const postings = async (reference: string) =>
    (await ds.query(
      `SELECT p.account_id, p.amount::text, p.balance_after::text FROM ledger.postings p JOIN ledger.journal_entries e ON e.id = p.entry_id WHERE e.reference = $1 ORDER BY p.id`,
      [reference],
    )) as { account_id: string; amount: string; balance_after: string | null }[];

  it('refuses only the entry that would take a wallet below zero, posts the others, in the order given', async () => {
    const [a, b, c] = [await wallet(), await wallet(), await wallet()];
    const revenue = await hot();
    await fund(a, 300n);
    await fund(b, 100n);
    const entries = [move(a, revenue, 200n), move(b, revenue, 101n), move(c, revenue, 1n), move(a, revenue, 100n), move(a, revenue, 1n)];
    const results = await ds.transaction((m) => ledger.postMany(entries, m));
    expect(results.map((r) => ('refused' in r ? r.refused : r.duplicate))).toEqual([false, 'INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS', false, 'INSUFFICIENT_FUNDS']);
    expect(await balance(a)).toBe(0n);
    expect(await balance(b)).toBe(100n);
    expect(await balance(c)).toBe(0n);
    expect(await balance(revenue)).toBe(300n);
    // refused entries left nothing behind; posted ones carry their running balances
    expect(await postings(entries[1].reference)).toEqual([]);
    expect(await ledger.entryId(entries[4].reference)).toBeUndefined();
    const first = await postings(entries[0].reference);
    expect(first.find((p) => p.account_id === a.id)).toEqual({ account_id: a.id, amount: '-200', balance_after: '100' });
    expect(first.find((p) => p.account_id === revenue.id)?.balance_after).toBeNull(); // a hot credit is queued
    expect((await postings(entries[3].reference)).find((p) => p.account_id === a.id)?.balance_after).toBe('0');
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('counts a credit earlier in the batch for a later debit, and no later one', async () => {
    const [a, b] = [await wallet(), await wallet()];
    const sys = await system();
    const entries = [move(a, b, 50n), move(sys, a, 80n), move(a, b, 80n), move(a, b, 1n)];
    const results = await ds.transaction((m) => ledger.postMany(entries, m));
    expect(results.map((r) => 'refused' in r)).toEqual([true, false, false, true]);
    expect(await balance(a)).toBe(0n);
    expect(await balance(b)).toBe(80n);
  });

  it('lets debits go down to the floor only when the caller asks (useFloor), as post() does', async () => {
    const card = await wallet(500n);
    const other = await system();
    const plain = await ds.transaction((m) => ledger.postMany([move(card, other, 1n)], m));
    expect(plain[0]).toHaveProperty('refused', 'INSUFFICIENT_FUNDS');
    const floored = await ds.transaction((m) => ledger.postMany([move(card, other, 300n), move(card, other, 201n), move(card, other, 200n), move(other, card, 100n)], m, { useFloor: true }));
    expect(floored.map((r) => 'refused' in r)).toEqual([false, true, false, false]);
    expect(await balance(card)).toBe(-400n);
    // the setting ends with the call
    await expect(ds.transaction(async (m) => (await ledger.postMany([move(card, other, 1n)], m, { useFloor: true }), ledger.postMany([move(card, other, 1n)], m)))).resolves.toEqual([
      expect.objectContaining({ refused: 'INSUFFICIENT_FUNDS' }),
    ]);
    expect(await balance(card)).toBe(-401n);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('checks a hot account debit against its stored balance plus its queued credits', async () => {
    const revenue = await hot();
    const payer = await wallet();
    const payee = await wallet();
    await fund(payer, 100n);
    const results = await ds.transaction((m) => ledger.postMany([move(payer, revenue, 60n), move(revenue, payee, 61n), move(revenue, payee, 60n), move(revenue, payee, 1n)], m));
    expect(results.map((r) => 'refused' in r)).toEqual([false, true, false, true]);
    expect(await balance(revenue)).toBe(0n);
    expect(await balance(payee)).toBe(60n);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('answers references already posted (before or earlier in the batch) as duplicates, and a reference reused with other postings as a conflict', async () => {
    const [a, b] = [await wallet(), await wallet()];
    await fund(a, 100n);
    const once = move(a, b, 10n);
    const [first] = await ds.transaction((m) => ledger.postMany([once], m));
    const again = await ds.transaction((m) => ledger.postMany([once, move(a, b, 5n, 'x-' + once.reference), once], m));
    expect(again[0]).toEqual({ reference: once.reference, entryId: (first as { entryId: string }).entryId, duplicate: true });
    expect(again[2]).toEqual(again[0]);
    const inBatch = move(a, b, 7n);
    const twice = await ds.transaction((m) => ledger.postMany([inBatch, inBatch], m));
    expect(twice[0]).toMatchObject({ duplicate: false });
    expect(twice[1]).toEqual({ ...twice[0], duplicate: true });
    expect(await balance(a)).toBe(100n - 10n - 5n - 7n);
    await expect(ds.transaction((m) => ledger.postMany([move(a, b, 11n, once.reference)], m))).rejects.toBeInstanceOf(LedgerReferenceConflictError);
    await expect(ds.transaction((m) => ledger.postMany([move(a, b, 1n, 'same-' + once.reference), move(a, b, 2n, 'same-' + once.reference)], m))).rejects.toBeInstanceOf(LedgerReferenceConflictError);
    expect(await balance(a)).toBe(78n);
  });

  it('runs parallel batches over the same accounts in any order without deadlock or overdraft', async () => {
    const wallets = await Promise.all(Array.from({ length: 6 }, () => wallet()));
    const revenue = await hot();
    for (const w of wallets) await fund(w, 1_000n);
    // 8 concurrent batches, each over all wallets in a different order: 8 x 6 x 30 asked, 6 x 1000 available
    const batches = Array.from({ length: 8 }, (_, k) => {
      const order = k % 2 ? [...wallets].reverse() : wallets;
      return order.flatMap((w) => [move(w, revenue, 30n), move(w, revenue, 30n), move(w, revenue, 30n), move(w, revenue, 30n), move(w, revenue, 30n)]);
    });
    const results = await Promise.all(batches.map((entries) => ds.transaction((m) => ledger.postMany(entries, m))));
    const posted = results.flat().filter((r) => !('refused' in r)).length;
    expect(posted).toBe(6 * 33); // 33 x 30 = 990 of each 1000: the 34th is refused
    for (const w of wallets) expect(await balance(w)).toBe(10n);
    expect(await balance(revenue)).toBe(6n * 990n);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });
});
