import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BillEntity } from './entities/bill.entity.js';
import { BillerAccountEntity } from './entities/biller-account.entity.js';
import type { BillRow } from './domain/bill-row.js';

/** A bill a load wrote: inserted (new) or updated. */
export interface WrittenBill {
  id: string;
  customer_ref: string;
  period: string;
  inserted: boolean;
}

/** Data access of bills (billing.bills) and the auto-pay attempts their arrival creates. */
@Injectable()
export class BillsRepository {
  byId(m: EntityManager, id: string): Promise<BillEntity | null> {
    return m.findOneBy(BillEntity, { id });
  }

  /** A customer's bills at a biller, newest period first. */
  ofCustomer(m: EntityManager, billerId: string, customerRef: string): Promise<BillEntity[]> {
    return m.find(BillEntity, { where: { biller_id: billerId, customer_ref: customerRef }, order: { period: 'DESC' } });
  }

  /** Unpaid and partly paid bills of the user's linked accounts, soonest due first. */
  openOfUser(m: EntityManager, userId: string): Promise<BillEntity[]> {
    return m
      .createQueryBuilder(BillEntity, 'b')
      .innerJoin(BillerAccountEntity, 'a', 'a.biller_id = b.biller_id AND a.customer_ref = b.customer_ref')
      .where('a.user_id = :userId', { userId })
      .andWhere('b.paid_amount < b.amount')
      .orderBy('b.due_date')
      .addOrderBy('b.id')
      .getMany();
  }

  /**
   * Upserts the rows on (biller, customerRef, period) in one statement; a
   * bill that has payments is left as it is (and not returned). Rows in the
   * caller's order (one order for every load: overlapping loads lock alike).
   */
  async upsertMany(m: EntityManager, billerId: string, rows: readonly BillRow[]): Promise<WrittenBill[]> {
    return (await m.query(
      `INSERT INTO billing.bills (biller_id, customer_ref, period, amount, currency, due_date, customer_name)
       SELECT $1, r.customer_ref, r.period, r.amount, r.currency, r.due_date, r.customer_name
         FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::date[], $7::text[])
              AS r(customer_ref, period, amount, currency, due_date, customer_name)
       ON CONFLICT (biller_id, customer_ref, period) DO UPDATE
         SET amount = EXCLUDED.amount, currency = EXCLUDED.currency, due_date = EXCLUDED.due_date,
             customer_name = EXCLUDED.customer_name, updated_at = now()
         WHERE NOT bills.has_payments
       RETURNING id, customer_ref, period, (xmax = 0) AS inserted`,
      [
        billerId,
        rows.map((r) => r.customerRef),
        rows.map((r) => r.period),
        rows.map((r) => r.amount.toString()),
        rows.map((r) => r.currency),
        rows.map((r) => r.dueDate),
        rows.map((r) => r.customerName),
      ],
    )) as WrittenBill[];
  }

  /** One PENDING auto-pay attempt per (linked account with auto-pay, open bill) among these bills, once; the new attempts' ids. */
  async insertAutopayAttempts(m: EntityManager, billIds: readonly string[]): Promise<string[]> {
    const rows = (await m.query(
      `INSERT INTO billing.autopay_attempts (account_id, bill_id, status)
       SELECT a.id, b.id, 'PENDING'
         FROM billing.bills b JOIN billing.biller_accounts a ON a.biller_id = b.biller_id AND a.customer_ref = b.customer_ref
        WHERE b.id = ANY($1::uuid[]) AND a.autopay_max_amount IS NOT NULL AND b.paid_amount < b.amount
       ON CONFLICT (account_id, bill_id) DO NOTHING
       RETURNING id`,
      [billIds],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }
}
