import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BillerAccountEntity } from './entities/biller-account.entity.js';

/** An auto-pay attempt as its account holder lists it, with its bill's period and amount. */
export interface AutopayAttemptRow {
  id: string;
  bill_id: string;
  status: string;
  reason: string | null;
  payment_id: string | null;
  period: string;
  bill_amount: string;
  currency: string;
  updated_at: Date;
  /** created_at as PostgreSQL's text (microseconds kept): the cursor's position. */
  position_at: string;
}

/** Data access of citizens' linked accounts (billing.biller_accounts) and their auto-pay attempts. */
@Injectable()
export class BillerAccountsRepository {
  /** Links an account; an account already linked surfaces as the unique violation. */
  insert(m: EntityManager, account: Pick<BillerAccountEntity, 'user_id' | 'biller_id' | 'customer_ref' | 'alias'>): Promise<BillerAccountEntity> {
    return m.save(m.create(BillerAccountEntity, { ...account, autopay_max_amount: null }));
  }

  ofUser(m: EntityManager, userId: string): Promise<BillerAccountEntity[]> {
    return m.find(BillerAccountEntity, { where: { user_id: userId }, order: { created_at: 'ASC', id: 'ASC' } });
  }

  /** The account when it is the user's. */
  ofUserById(m: EntityManager, userId: string, id: string): Promise<BillerAccountEntity | null> {
    return m.findOneBy(BillerAccountEntity, { id, user_id: userId });
  }

  async setAutopayCap(m: EntityManager, userId: string, id: string, cap: bigint | null): Promise<void> {
    await m.update(BillerAccountEntity, { id, user_id: userId }, { autopay_max_amount: cap });
  }

  /** Newest first: `limit + 1` attempts of the account after the cursor's position. */
  async autopayAttempts(m: EntityManager, accountId: string, limit: number, after?: { at: string; id: string }): Promise<AutopayAttemptRow[]> {
    return (await m.query(
      `SELECT t.*, t.created_at::text AS position_at, b.period, b.amount::text AS bill_amount, b.currency
         FROM billing.autopay_attempts t JOIN billing.bills b ON b.id = t.bill_id
        WHERE t.account_id = $1 AND ($2::timestamptz IS NULL OR (t.created_at, t.id) < ($2::timestamptz, $3::uuid))
        ORDER BY t.created_at DESC, t.id DESC LIMIT $4`,
      [accountId, after?.at ?? null, after?.id ?? null, limit + 1],
    )) as AutopayAttemptRow[];
  }
}
