import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { ConflictError, NotFoundError, toPage, UUID, ValidationFailedError } from '@app/common';
import type { Currency, Page } from '@app/common';
import { isUniqueViolation, withTransactionRetry } from '@app/database';
import { OrganizationsService, type OrganizationRecord } from '@app/identity';
import { JobsService } from '@app/jobs';
import { BillNotices } from './bill-notices.service.js';
import { billStatus } from './domain/amount-rule.js';
import { maskName } from './domain/mask-name.js';
import type { BillStatus } from './domain/amount-rule.js';
import { parseBillRow } from './domain/bill-row.js';
import type { BillRow } from './domain/bill-row.js';

export const AUTOPAY_JOB = 'billing.autopay';

export interface Biller {
  id: string;
  name: string;
  category: string;
  allowsPartial: boolean;
  allowsAdvance: boolean;
  currency: Currency;
}

export interface BillView {
  id: string;
  billerId: string;
  customerRef: string;
  period: string;
  amount: number;
  paidAmount: number;
  outstanding: number;
  currency: Currency;
  dueDate: string;
  status: BillStatus;
  customerNameMasked: string | null;
}

export interface BillRowDb {
  id: string;
  biller_id: string;
  customer_ref: string;
  period: string;
  amount: string;
  currency: string;
  due_date: string;
  customer_name: string | null;
  paid_amount: string;
  has_payments: boolean;
}

export function toBillView(r: BillRowDb): BillView {
  const amount = BigInt(r.amount);
  const paid = BigInt(r.paid_amount);
  const outstanding = amount > paid ? amount - paid : 0n;
  return {
    id: r.id,
    billerId: r.biller_id,
    customerRef: r.customer_ref,
    period: r.period,
    amount: Number(amount),
    paidAmount: Number(paid),
    outstanding: Number(outstanding),
    currency: r.currency.trim() as Currency,
    dueDate: r.due_date,
    status: billStatus(amount, paid),
    customerNameMasked: maskName(r.customer_name),
  };
}

export interface LoadResult {
  created: number;
  updated: number;
  rejected: { index: number; code: string; problems?: string[] }[];
}

export interface BillerAccountView {
  id: string;
  billerId: string;
  billerName: string;
  customerRef: string;
  alias: string | null;
  autoPay: { maxAmount: number; currency: Currency } | null;
  createdAt: string;
}

interface BillerRow {
  organization_id: string;
  category: string;
  allows_partial: boolean;
  allows_advance: boolean;
}

const toBiller = (r: BillerRow, org: OrganizationRecord): Biller => ({
  id: r.organization_id,
  name: org.name,
  category: r.category,
  allowsPartial: r.allows_partial,
  allowsAdvance: r.allows_advance,
  currency: org.currency as Currency,
});

/**
 * Billers, bills, bulk loads and citizens' linked accounts. A bill that has
 * payments is never changed by a load; bills new to a linked account with
 * auto-pay get an auto-pay attempt (a job), once per account and bill.
 */
@Injectable()
export class BillsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobsService,
    private readonly organizations: OrganizationsService,
    private readonly notices: BillNotices,
  ) {}

  /** Billers by name (identity's order), optionally of one category. */
  async billers(category?: string): Promise<Biller[]> {
    const rows = (await this.dataSource.query(`SELECT * FROM billing.billers WHERE ($1::text IS NULL OR category = $1)`, [
      category ?? null,
    ])) as BillerRow[];
    const byId = new Map(rows.map((r) => [r.organization_id, r]));
    return (await this.organizations.records(rows.map((r) => r.organization_id))).map((org) => toBiller(byId.get(org.id)!, org));
  }

  /** The biller, or 404 (unknown, or an organisation of another kind). */
  async biller(id: string, manager: EntityManager = this.dataSource.manager): Promise<Biller> {
    const [row] = UUID.test(id) ? ((await manager.query(`SELECT * FROM billing.billers WHERE organization_id = $1`, [id])) as BillerRow[]) : [];
    const [org] = row ? await this.organizations.records([id], manager) : [];
    if (!org) throw new NotFoundError('No such biller');
    return toBiller(row, org);
  }

  /** Name and currency of these billers, from identity. */
  private async billerNames(ids: readonly string[]): Promise<Map<string, OrganizationRecord>> {
    return new Map((await this.organizations.records(ids)).map((o) => [o.id, o]));
  }

  async bill(id: string, manager: EntityManager = this.dataSource.manager): Promise<BillRowDb> {
    const [row] = UUID.test(id) ? ((await manager.query(`SELECT *, due_date::text AS due_date FROM billing.bills WHERE id = $1`, [id])) as BillRowDb[]) : [];
    if (!row) throw new NotFoundError('No such bill');
    return row;
  }

  /**
   * Upserts up to 10,000 bills on (customerRef, period) in one statement.
   * Invalid rows and repeated (customerRef, period) pairs are reported by
   * index; bills that have payments come back as BILL_HAS_PAYMENTS.
   */
  async load(billerId: string, rows: unknown[]): Promise<LoadResult> {
    const biller = await this.biller(billerId);
    const rejected: LoadResult['rejected'] = [];
    const valid: { index: number; row: BillRow }[] = [];
    const seen = new Set<string>();
    rows.forEach((raw, index) => {
      const parsed = parseBillRow(raw, biller.currency);
      if (!parsed.ok) return void rejected.push({ index, code: 'VALIDATION_FAILED', problems: parsed.problems });
      const key = `${parsed.row.customerRef}\u0000${parsed.row.period}`;
      if (seen.has(key)) return void rejected.push({ index, code: 'DUPLICATE_IN_UPLOAD' });
      seen.add(key);
      valid.push({ index, row: parsed.row });
    });
    if (valid.length === 0) return { created: 0, updated: 0, rejected };
    // one row order for every load, so that overlapping loads lock bills in the same order
    valid.sort((a, b) => (a.row.customerRef < b.row.customerRef ? -1 : a.row.customerRef > b.row.customerRef ? 1 : a.row.period < b.row.period ? -1 : a.row.period > b.row.period ? 1 : 0));

    return withTransactionRetry(this.dataSource, async (m) => {
      const written = (await m.query(
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
          valid.map((v) => v.row.customerRef),
          valid.map((v) => v.row.period),
          valid.map((v) => v.row.amount.toString()),
          valid.map((v) => v.row.currency),
          valid.map((v) => v.row.dueDate),
          valid.map((v) => v.row.customerName),
        ],
      )) as { id: string; customer_ref: string; period: string; inserted: boolean }[];
      const done = new Set(written.map((w) => `${w.customer_ref}\u0000${w.period}`));
      // a fresh list per try: the transaction may be retried
      const refused = [...rejected, ...valid.filter((v) => !done.has(`${v.row.customerRef}\u0000${v.row.period}`)).map((v) => ({ index: v.index, code: 'BILL_HAS_PAYMENTS' }))];
      refused.sort((a, b) => a.index - b.index);
      await this.scheduleAutopay(m, written.map((w) => w.id));
      await this.notices.billsIssued(m, written.filter((w) => w.inserted).map((w) => w.id));
      const created = written.filter((w) => w.inserted).length;
      return { created, updated: written.length - created, rejected: refused };
    });
  }

  /** One auto-pay attempt per (account, bill), created with the bill, run by a job. */
  private async scheduleAutopay(m: EntityManager, billIds: string[]): Promise<void> {
    if (billIds.length === 0) return;
    const attempts = (await m.query(
      `INSERT INTO billing.autopay_attempts (account_id, bill_id, status)
       SELECT a.id, b.id, 'PENDING'
         FROM billing.bills b JOIN billing.biller_accounts a ON a.biller_id = b.biller_id AND a.customer_ref = b.customer_ref
        WHERE b.id = ANY($1::uuid[]) AND a.autopay_max_amount IS NOT NULL AND b.paid_amount < b.amount
       ON CONFLICT (account_id, bill_id) DO NOTHING
       RETURNING id`,
      [billIds],
    )) as { id: string }[];
    for (const a of attempts) await this.jobs.sendInTransaction(m, AUTOPAY_JOB, { attemptId: a.id }, { retryLimit: 5, retryBackoff: true });
  }

  async fetch(billerId: string, customerRef: string): Promise<BillView[]> {
    await this.biller(billerId);
    const rows = (await this.dataSource.query(
      `SELECT *, due_date::text AS due_date FROM billing.bills WHERE biller_id = $1 AND customer_ref = $2 ORDER BY period DESC`,
      [billerId, customerRef],
    )) as BillRowDb[];
    return rows.map(toBillView);
  }

  async link(userId: string, input: { billerId: string; customerRef: string; alias?: string }): Promise<BillerAccountView> {
    const biller = await this.biller(input.billerId);
    try {
      const [row] = (await this.dataSource.query(
        `INSERT INTO billing.biller_accounts (user_id, biller_id, customer_ref, alias) VALUES ($1, $2, $3, $4) RETURNING *`,
        [userId, biller.id, input.customerRef, input.alias?.trim() || null],
      )) as AccountRow[];
      return toAccountView({ ...row, biller_name: biller.name, currency: biller.currency });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('ACCOUNT_ALREADY_LINKED', 'This account is already linked');
      throw err;
    }
  }

  async accounts(userId: string): Promise<BillerAccountView[]> {
    const rows = (await this.dataSource.query(`SELECT * FROM billing.biller_accounts WHERE user_id = $1 ORDER BY created_at, id`, [userId])) as AccountRow[];
    const billers = await this.billerNames(rows.map((r) => r.biller_id));
    return rows.map((r) => toAccountView({ ...r, biller_name: billers.get(r.biller_id)!.name, currency: billers.get(r.biller_id)!.currency }));
  }

  async account(userId: string, accountId: string, manager: EntityManager = this.dataSource.manager): Promise<BillerAccountView> {
    const [row] = UUID.test(accountId)
      ? ((await manager.query(`SELECT * FROM billing.biller_accounts WHERE id = $1 AND user_id = $2`, [accountId, userId])) as AccountRow[])
      : [];
    if (!row) throw new NotFoundError('No such linked account');
    const [org] = await this.organizations.records([row.biller_id], manager);
    return toAccountView({ ...row, biller_name: org.name, currency: org.currency });
  }

  /**
   * Turns auto-pay on (with a cap) or off for a linked account. It applies to
   * bills that arrive from then on; bills already open are the citizen's to pay.
   */
  async setAutopay(userId: string, accountId: string, maxAmount: bigint | null): Promise<BillerAccountView> {
    await this.account(userId, accountId);
    await this.dataSource.query(`UPDATE billing.biller_accounts SET autopay_max_amount = $2 WHERE id = $1 AND user_id = $3`, [accountId, maxAmount?.toString() ?? null, userId]);
    return this.account(userId, accountId);
  }

  /** Newest first, `limit` a page, continuing after `after` (the cursor's position). */
  async autopayAttempts(userId: string, accountId: string, limit: number, after?: { at: string; id: string }): Promise<Page<AutopayAttemptView>> {
    await this.account(userId, accountId);
    const rows = (await this.dataSource.query(
      `SELECT t.*, t.created_at::text AS position_at, b.period, b.amount::text AS bill_amount, b.currency
         FROM billing.autopay_attempts t JOIN billing.bills b ON b.id = t.bill_id
        WHERE t.account_id = $1 AND ($2::timestamptz IS NULL OR (t.created_at, t.id) < ($2::timestamptz, $3::uuid))
        ORDER BY t.created_at DESC, t.id DESC LIMIT $4`,
      [accountId, after?.at ?? null, after?.id ?? null, limit + 1],
    )) as { id: string; bill_id: string; status: string; reason: string | null; payment_id: string | null; period: string; bill_amount: string; currency: string; updated_at: Date; position_at: string }[];
    const page = toPage(rows, limit, (last) => ({ at: last.position_at, id: last.id }));
    return {
      items: page.items.map((r) => ({
        id: r.id,
        billId: r.bill_id,
        period: r.period,
        billAmount: Number(r.bill_amount),
        currency: r.currency.trim() as Currency,
        status: r.status,
        reason: r.reason,
        paymentId: r.payment_id,
        updatedAt: r.updated_at.toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Unpaid and partly paid bills of the user's linked accounts. */
  async myBills(userId: string): Promise<BillView[]> {
    const rows = (await this.dataSource.query(
      `SELECT b.*, b.due_date::text AS due_date FROM billing.bills b
         JOIN billing.biller_accounts a ON a.biller_id = b.biller_id AND a.customer_ref = b.customer_ref
        WHERE a.user_id = $1 AND b.paid_amount < b.amount
        ORDER BY b.due_date, b.id`,
      [userId],
    )) as BillRowDb[];
    return rows.map(toBillView);
  }

  static requireCustomerRef(customerRef: string | undefined): string {
    if (!customerRef || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(customerRef)) {
      throw new ValidationFailedError([{ field: 'customerRef', problems: ['customerRef is required: 1-64 letters, digits, "-" or "_"'] }]);
    }
    return customerRef;
  }
}

export interface AutopayAttemptView {
  id: string;
  billId: string;
  period: string;
  billAmount: number;
  currency: Currency;
  status: string;
  reason: string | null;
  paymentId: string | null;
  updatedAt: string;
}

interface AccountRow {
  id: string;
  user_id: string;
  biller_id: string;
  customer_ref: string;
  alias: string | null;
  autopay_max_amount: string | null;
  created_at: Date;
}

function toAccountView(r: AccountRow & { biller_name: string; currency: string }): BillerAccountView {
  return {
    id: r.id,
    billerId: r.biller_id,
    billerName: r.biller_name,
    customerRef: r.customer_ref,
    alias: r.alias,
    autoPay: r.autopay_max_amount === null ? null : { maxAmount: Number(r.autopay_max_amount), currency: r.currency.trim() as Currency },
    createdAt: r.created_at.toISOString(),
  };
}
