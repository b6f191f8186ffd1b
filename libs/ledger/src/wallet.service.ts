import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AuditTrail, IdempotencyService, toPage, UserDirectory } from '@app/common';
import type { Currency, Page, RequestMeta } from '@app/common';
import { ReplicaReads, withTransactionRetry } from '@app/database';
import { JournalRepository } from './journal.repository.js';
import { LedgerService } from './ledger.service.js';
import type { LedgerAccount } from './ledger.service.js';

export interface WalletTransaction {
  id: string;
  kind: string;
  amount: number;
  currency: Currency;
  balanceAfter: number | null;
  description: string | null;
  createdAt: string;
}

export interface AdjustmentResult {
  entryId: string;
  userId: string;
  direction: 'CREDIT' | 'DEBIT';
  amount: number;
  currency: Currency;
  balanceAfter: number;
  reason: string;
  createdAt: string;
}

/** Citizens' wallets: one ledger account per user and currency, created on first need. */
@Injectable()
export class WalletService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly users: UserDirectory,
    private readonly audit: AuditTrail,
    private readonly idempotency: IdempotencyService,
    private readonly reads: ReplicaReads,
    private readonly journal: JournalRepository,
  ) {}

  walletAccount(userId: string, currency: Currency, manager?: EntityManager): Promise<LedgerAccount> {
    return this.ledger.account({ ownerType: 'USER', ownerId: userId, purpose: 'WALLET', currency }, manager);
  }

  async balances(userId: string): Promise<{ amount: number; currency: Currency }[]> {
    const accounts = await this.ledger.accountsOf('USER', userId, 'WALLET');
    if (accounts.length === 0) return [{ amount: 0, currency: 'CNY' }];
    const out: { amount: number; currency: Currency }[] = [];
    for (const a of accounts) out.push((await this.ledger.balance(a.id)).toJSON());
    return out;
  }

  /**
   * Newest first; the cursor is the position after the last row (a posting id).
   * A history: read from the replica when there is one (it may lag by its
   * replay delay; the balance and a payment's receipt never do).
   */
  async transactions(userId: string, limit: number, before?: bigint): Promise<Page<WalletTransaction>> {
    const rows = await this.journal.walletHistory(this.reads, userId, limit + 1, before);
    const page = toPage(rows, limit, (last) => ({ id: last.pid }));
    return {
      nextCursor: page.nextCursor,
      items: page.items.map((r) => ({
        id: r.id,
        kind: r.kind,
        amount: Number(r.amount),
        currency: r.currency.trim() as Currency,
        balanceAfter: r.balance_after === null ? null : Number(r.balance_after),
        description: r.description,
        createdAt: r.created_at.toISOString(),
      })),
    };
  }

  /**
   * A support correction: platform adjustments account <-> the user's
   * wallet, one balanced entry, audited, with its visible reason. A debit
   * never takes a wallet below zero (402).
   */
  async adjust(
    actorUserId: string,
    input: { userId: string; direction: 'CREDIT' | 'DEBIT'; amount: number; currency: Currency; reason: string },
    meta: RequestMeta,
  ): Promise<AdjustmentResult> {
    await this.users.assertExists(input.userId); // 404 for an unknown user
    const signed = input.direction === 'CREDIT' ? BigInt(input.amount) : -BigInt(input.amount);
    return withTransactionRetry(this.dataSource, async (m) => {
      const wallet = await this.walletAccount(input.userId, input.currency, m);
      const adjustments = await this.ledger.account(
        { ownerType: 'PLATFORM', ownerId: 'platform', purpose: 'ADJUSTMENTS', currency: input.currency, allowNegative: true },
        m,
      );
      const posted = await this.ledger.post(
        {
          reference: `adjustment:${randomUUID()}`,
          kind: 'ADJUSTMENT',
          description: input.reason.trim(),
          metadata: { actorUserId, direction: input.direction },
          postings: [
            { accountId: wallet.id, currency: input.currency, amount: signed },
            { accountId: adjustments.id, currency: input.currency, amount: -signed },
          ],
        },
        m,
      );
      const walletPosting = posted.postings.find((p) => p.accountId === wallet.id)!;
      const result: AdjustmentResult = {
        entryId: posted.entryId,
        userId: input.userId,
        direction: input.direction,
        amount: input.amount,
        currency: input.currency,
        balanceAfter: Number(walletPosting.balanceAfter),
        reason: input.reason.trim(),
        createdAt: new Date().toISOString(),
      };
      await this.audit.record(
        {
          action: 'BALANCE_ADJUSTED',
          actorUserId,
          targetType: 'user',
          targetId: input.userId,
          details: { entryId: posted.entryId, direction: input.direction, amount: input.amount, currency: input.currency, reason: result.reason },
          meta,
        },
        m,
      );
      await this.idempotency.record(m, result);
      return result;
    });
  }
}
