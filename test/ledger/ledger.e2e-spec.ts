import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
import { InsufficientFundsError, LedgerReferenceConflictError, LedgerService, verifyLedger } from '@app/ledger';
import type { LedgerAccount } from '@app/ledger';
import { entities, migrations } from '@app/platform';
import { freshDatabase } from '../support/database.js';

describe('ledger on real PostgreSQL, with real parallel connections', () => {
  let ds: DataSource;
  let url: string;
  let ledger: LedgerService;

  beforeAll(async () => {
    url = (await freshDatabase()).url;
    ds = await new DataSource(
      buildDataSourceOptions({ url, poolSize: 24, statementTimeoutMs: 20_000, applicationName: 'ledger-test', migrations, entities }),
    ).initialize();
    ledger = new LedgerService(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const wallet = (owner = randomUUID(), currency: 'CNY' | 'HKD' = 'CNY') =>
    ledger.account({ ownerType: 'USER', ownerId: owner, purpose: 'WALLET', currency });
  const system = (currency: 'CNY' | 'HKD' = 'CNY') =>
    ledger.account({ ownerType: 'PLATFORM', ownerId: `test-${randomUUID()}`, purpose: 'ADJUSTMENTS', currency, allowNegative: true });
  const hot = () => ledger.account({ ownerType: 'ORGANIZATION', ownerId: randomUUID(), purpose: 'RECEIVABLE', currency: 'CNY', hot: true });
  const transfer = (from: LedgerAccount, to: LedgerAccount, amount: bigint, reference = `t:${randomUUID()}`) =>
    ledger.post({
      reference,
      kind: 'TRANSFER',
      postings: [
        { accountId: from.id, currency: from.currency, amount: -amount },
        { accountId: to.id, currency: to.currency, amount },
      ],
    });

  it('keeps every invariant under random concurrent transfers, credits and refused debits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ from: fc.integer({ min: 0, max: 5 }), to: fc.integer({ min: 0, max: 5 }), amount: fc.integer({ min: 1, max: 400 }) }),
          { minLength: 5, maxLength: 40 },
        ),
        async (ops) => {
          const run = randomUUID();
          // 0-3 wallets (never negative), 4 a hot receivable (never negative), 5 the system account (may go negative)
          const accounts = [await wallet(), await wallet(), await wallet(), await wallet(), await hot(), await system()];
          for (const w of accounts.slice(0, 3)) await transfer(accounts[5], w, 500n, `${run}:fund:${w.id}`);
          // roll-ups run while the transfers (hot credits and hot debits among them) do
          const [results] = await Promise.all([
            Promise.allSettled(
              ops
                .filter((op) => op.from !== op.to)
                .map((op, i) => transfer(accounts[op.from], accounts[op.to], BigInt(op.amount), `${run}:op:${i}`)),
            ),
            ledger.rollUpHotAccounts(),
            new Promise((r) => setTimeout(r, 3)).then(() => ledger.rollUpHotAccounts()),
          ]);
          await ledger.rollUpHotAccounts();
          const succeeded = results.filter((r) => r.status === 'fulfilled').length;
          for (const r of results) {
            if (r.status === 'rejected' && !(r.reason instanceof InsufficientFundsError)) throw r.reason;
          }
          const balances = await Promise.all(accounts.map((a) => ledger.balance(a.id)));
          const total = balances.reduce((s, b) => s + b.amount, 0n);
          if (total !== 0n) return false;
          if (balances.slice(0, 5).some((b) => b.amount < 0n)) return false;
          const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM ledger.journal_entries WHERE reference LIKE $1`, [`${run}:op:%`])) as { n: number }[];
          if (n !== succeeded) return false; // refused operations left nothing behind
          const report = await verifyLedger(ds);
          return report.ok;
        },
      ),
      { numRuns: 15 },
    );
  });

  it('lets exactly the affordable number of concurrent debits through for the last coins', async () => {
    const source = await wallet();
    const sink = await wallet();
    await transfer(await system(), source, 10n);
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => transfer(source, sink, 1n)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InsufficientFundsError);
    expect((await ledger.balance(source.id)).amount).toBe(0n);
    expect((await ledger.balance(sink.id)).amount).toBe(10n);
  });

  it('posts a business reference once, even when it is posted 10 times at once', async () => {
    const a = await wallet();
    const sys = await system();
    const reference = `once:${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 10 }, () => transfer(sys, a, 25n, reference)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
    expect((await ledger.balance(a.id)).amount).toBe(25n);
  });

  it('records balanceAfter on wallet postings', async () => {
    const a = await wallet();
    const sys = await system();
    const first = await transfer(sys, a, 300n);
    const second = await transfer(a, sys, 120n);
    expect(first.postings.find((p) => p.accountId === a.id)?.balanceAfter).toBe(300n);
    expect(second.postings.find((p) => p.accountId === a.id)?.balanceAfter).toBe(180n);
  });

  it('takes hot-account credits without waiting for the account row, and keeps its balance exact', async () => {
    const merchant = await hot();
    const sys = await system();
    // someone holds the merchant row as a balance change would (a debit, a roll-up)
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM ledger.ledger_accounts WHERE id = $1 FOR NO KEY UPDATE', [merchant.id]);
    try {
      const started = Date.now();
      await Promise.all(Array.from({ length: 20 }, () => transfer(sys, merchant, 7n)));
      expect(Date.now() - started).toBeLessThan(5000); // not queued behind the held row lock
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect((await ledger.balance(merchant.id)).amount).toBe(140n);
    await ledger.rollUpHotAccounts();
    expect((await ledger.balance(merchant.id)).amount).toBe(140n);
    const [row] = (await ds.query(`SELECT balance::text FROM ledger.ledger_accounts WHERE id = $1`, [merchant.id])) as { balance: string }[];
    expect(row.balance).toBe('140');
    // a debit (a refund) sees queued credits and may not overdraw
    await transfer(sys, merchant, 10n);
    await expect(transfer(merchant, sys, 151n)).rejects.toBeInstanceOf(InsufficientFundsError);
    await transfer(merchant, sys, 150n);
    expect((await ledger.balance(merchant.id)).amount).toBe(0n);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('never overdraws a hot account when its debit waits behind a roll-up (counted once, not twice)', async () => {
    const merchant = await hot();
    const sys = await system();
    await transfer(sys, merchant, 100n); // queued: stored 0 + queue 100

    // a roll-up, as rollUpHotAccounts() does it, paused before COMMIT
    const rollup = new pg.Client({ connectionString: url });
    await rollup.connect();
    await rollup.query('BEGIN');
    await rollup.query('SELECT 1 FROM ledger.ledger_accounts WHERE id = $1 FOR NO KEY UPDATE', [merchant.id]);
    const { rows } = await rollup.query<{ sum: string }>(
      `WITH gone AS (DELETE FROM ledger.hot_account_credits WHERE account_id = $1 RETURNING amount)
       SELECT COALESCE(sum(amount), 0)::text AS sum FROM gone`,
      [merchant.id],
    );
    await rollup.query('UPDATE ledger.ledger_accounts SET balance = balance + $2 WHERE id = $1', [merchant.id, rows[0].sum]);
    // a refund of 150 (100 exist) waits for the row lock meanwhile
    const debit = transfer(merchant, sys, 150n).then(
      () => 'posted',
      (e: unknown) => (e instanceof InsufficientFundsError ? 'refused' : String(e)),
    );
    await new Promise((r) => setTimeout(r, 300));
    await rollup.query('COMMIT');
    await rollup.end();
    expect(await debit).toBe('refused');
    expect((await ledger.balance(merchant.id)).amount).toBe(100n);
    expect((await verifyLedger(ds)).negative).toEqual([]);
  });

  it('refuses a business reference reused for another movement, and a second reversal of one entry', async () => {
    const a = await wallet();
    const sys = await system();
    const reference = `ref:${randomUUID()}`;
    const first = await transfer(sys, a, 40n, reference);
    await expect(transfer(sys, a, 41n, reference)).rejects.toBeInstanceOf(LedgerReferenceConflictError);
    const reversal = (n: number) =>
      ledger.post({
        reference: `reversal:${first.entryId}:${n}`,
        kind: 'REVERSAL',
        reverses: first.entryId,
        postings: [
          { accountId: a.id, currency: 'CNY', amount: -40n },
          { accountId: sys.id, currency: 'CNY', amount: 40n },
        ],
      });
    await reversal(1);
    await expect(reversal(2)).rejects.toThrow(/journal_entries_reverses/);
    expect((await ledger.balance(a.id)).amount).toBe(0n);
  });

  it('refuses in SQL what the service would never do: edits, deletions, unbalanced entries, currency mixes, overdrafts', async () => {
    const a = await wallet();
    const sys = await system();
    const posted = await transfer(sys, a, 50n);
    await expect(ds.query(`UPDATE ledger.postings SET amount = 1 WHERE entry_id = $1`, [posted.entryId])).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM ledger.postings WHERE entry_id = $1`, [posted.entryId])).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM ledger.journal_entries WHERE id = $1`, [posted.entryId])).rejects.toThrow(/append-only/);
    await expect(
      ds.transaction(async (m) => {
        const [{ id }] = (await m.query(`INSERT INTO ledger.journal_entries (reference, kind) VALUES ($1, 'BROKEN') RETURNING id`, [randomUUID()])) as { id: string }[];
        await m.query(`INSERT INTO ledger.postings (entry_id, account_id, currency, amount) VALUES ($1, $2, 'CNY', 5)`, [id, a.id]);
      }),
    ).rejects.toThrow(/does not balance/);
    const hkd = await wallet(undefined, 'HKD');
    await expect(
      ds.query(`INSERT INTO ledger.postings (entry_id, account_id, currency, amount) VALUES ($1, $2, 'CNY', 5)`, [posted.entryId, hkd.id]),
    ).rejects.toThrow(/postings_account/);
    await expect(ds.query(`UPDATE ledger.ledger_accounts SET balance = -1 WHERE id = $1`, [a.id])).rejects.toThrow(/ledger_accounts_non_negative/);
    // a hot account's row may dip below zero while credits are queued, never balance + queue
    const merchant = await hot();
    await transfer(sys, merchant, 30n);
    await ds.query(`UPDATE ledger.ledger_accounts SET balance = -30 WHERE id = $1`, [merchant.id]); // 0 in all: allowed
    await ds.query(`UPDATE ledger.ledger_accounts SET balance = 0 WHERE id = $1`, [merchant.id]);
    await expect(ds.query(`UPDATE ledger.ledger_accounts SET balance = -31 WHERE id = $1`, [merchant.id])).rejects.toThrow(/would go negative/);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });

  it('refuses entries that do not balance before touching the database', async () => {
    const a = await wallet();
    const b = await wallet(undefined, 'HKD');
    await expect(
      ledger.post({ reference: randomUUID(), kind: 'X', postings: [{ accountId: a.id, currency: 'CNY', amount: 5n }, { accountId: b.id, currency: 'HKD', amount: -5n }] }),
    ).rejects.toThrow(/sum to/);
  });

  it('verifyLedger reports drift, and the invariants hold across the whole database', async () => {
    const report = await verifyLedger(ds);
    expect(report).toMatchObject({ ok: true, drift: [], negative: [], unbalanced: [] });
    expect(report.currencyTotals.every((t) => t.total === '0')).toBe(true);
    expect(report.entries).toBeGreaterThan(20);
    // an edit made behind the ledger's back is found
    const a = await wallet();
    await ds.query(`UPDATE ledger.ledger_accounts SET balance = balance + 1 WHERE id = $1`, [a.id]);
    const broken = await verifyLedger(ds);
    expect(broken.ok).toBe(false);
    expect(broken.drift).toEqual([{ accountId: a.id, stored: '1', computed: '0' }]);
    await ds.query(`UPDATE ledger.ledger_accounts SET balance = balance - 1 WHERE id = $1`, [a.id]);
  });
});
