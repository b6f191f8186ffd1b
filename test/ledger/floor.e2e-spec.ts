import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InsufficientFundsError, LedgerService, verifyLedger } from '@app/ledger';
import { startApp, type TestApp } from '../support/app.js';

describe('ledger: per-account floor', () => {
  let app: TestApp;
  let ledger: LedgerService;
  let ds: DataSource;

  beforeAll(async () => {
    app = await startApp();
    ledger = app.api.app.get(LedgerService);
    ds = app.api.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('stops ordinary debits at zero, lets postings that ask go down to -floor and no further, and always takes credits', async () => {
    const owner = randomUUID();
    const card = await ledger.account({ ownerType: 'USER', ownerId: owner, purpose: 'FLOOR_TEST', currency: 'CNY', floor: 5_000n });
    const other = await ledger.account({ ownerType: 'PLATFORM', ownerId: owner, purpose: 'FLOOR_OTHER', currency: 'CNY', allowNegative: true });
    const move = (amount: bigint) => [
      { accountId: card.id, currency: 'CNY' as const, amount: -amount },
      { accountId: other.id, currency: 'CNY' as const, amount },
    ];
    await expect(ledger.post({ reference: `f-${randomUUID()}`, kind: 'TEST', postings: move(100n) })).rejects.toBeInstanceOf(InsufficientFundsError);
    await ds.transaction((m) => ledger.post({ reference: `f-${randomUUID()}`, kind: 'TEST', postings: move(4_000n) }, m, { useFloor: true }));
    expect((await ledger.balance(card.id)).amount).toBe(-4_000n);
    await expect(ds.transaction((m) => ledger.post({ reference: `f-${randomUUID()}`, kind: 'TEST', postings: move(1_001n) }, m, { useFloor: true }))).rejects.toBeInstanceOf(
      InsufficientFundsError,
    );
    // the setting does not leak to the next posting of the same transaction
    await expect(
      ds.transaction(async (m) => {
        await ledger.post({ reference: `f-${randomUUID()}`, kind: 'TEST', postings: move(500n) }, m, { useFloor: true });
        await ledger.post({ reference: `f-${randomUUID()}`, kind: 'TEST', postings: move(1n) }, m);
      }),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    // a credit below zero is taken (it repays)
    await ledger.post({ reference: `f-${randomUUID()}`, kind: 'TEST', postings: move(-1_000n) });
    expect((await ledger.balance(card.id)).amount).toBe(-3_000n);
    // the CHECK holds even for SQL that bypasses ledger_post
    await expect(ds.query(`UPDATE ledger.ledger_accounts SET balance = -5001 WHERE id = $1`, [card.id])).rejects.toThrow(/non_negative/);
    expect((await verifyLedger(ds)).ok).toBe(true);
  });
});
