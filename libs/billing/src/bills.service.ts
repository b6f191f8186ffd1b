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
import { BillerAccountsRepository } from './biller-accounts.repository.js';
import { BillersRepository } from './billers.repository.js';
import { BillsRepository } from './bills.repository.js';
import type { BillEntity } from './entities/bill.entity.js';
import type { BillerAccountEntity } from './entities/biller-account.entity.js';
import type { BillerEntity } from './entities/biller.entity.js';

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

/**
 * A bill row as billing's SQL answers it (bigint columns as text) or as
 * its entity holds it (bigint): what the bill views are made from.
 */
export interface BillRowDb {
  id: string;
  biller_id: string;
  customer_ref: string;
  period: string;
  amount: string | bigint;
  currency: string;
  due_date: string;
  customer_name: string | null;
  paid_amount: string | bigint;
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

const toBiller = (r: BillerEntity, org: OrganizationRecord): Biller => ({
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
    private readonly billersRepo: BillersRepository,
    private readonly billsRepo: BillsRepository,
    private readonly accountsRepo: BillerAccountsRepository,
    private readonly jobs: JobsService,
    private readonly organizations: OrganizationsService,
    private readonly notices: BillNotices,
  ) {}

  /** Billers by name (identity's order), optionally of one category. */
  async billers(category?: string): Promise<Biller[]> {
    const rows = await this.billersRepo.all(this.dataSource.manager, category);
    const byId = new Map(rows.map((r) => [r.organization_id, r]));
    return (await this.organizations.records(rows.map((r) => r.organization_id))).map((org) => toBiller(byId.get(org.id)!, org));
  }

  /** The biller, or 404 (unknown, or an organisation of another kind). */
  async biller(id: string, manager: EntityManager = this.dataSource.manager): Promise<Biller> {
    const row = UUID.test(id) ? await this.billersRepo.byId(manager, id) : null;
    const [org] = row ? await this.organizations.records([id], manager) : [];
    if (!row || !org) throw new NotFoundError('No such biller');
    return toBiller(row, org);
  }

  /** Name and currency of these billers, from identity. */
  private async billerNames(ids: readonly string[]): Promise<Map<string, OrganizationRecord>> {
    return new Map((await this.organizations.records(ids)).map((o) => [o.id, o]));
  }

  async bill(id: string, manager: EntityManager = this.dataSource.manager): Promise<BillEntity> {
    const row = UUID.test(id) ? await this.billsRepo.byId(manager, id) : null;
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
      const written = await this.billsRepo.upsertMany(m, billerId, valid.map((v) => v.row));
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
    const attempts = await this.billsRepo.insertAutopayAttempts(m, billIds);
    for (const attemptId of attempts) await this.jobs.sendInTransaction(m, AUTOPAY_JOB, { attemptId }, { retryLimit: 5, retryBackoff: true });
  }

  async fetch(billerId: string, customerRef: string): Promise<BillView[]> {
    await this.biller(billerId);
    return (await this.billsRepo.ofCustomer(this.dataSource.manager, billerId, customerRef)).map(toBillView);
  }

  async link(userId: string, input: { billerId: string; customerRef: string; alias?: string }): Promise<BillerAccountView> {
    const biller = await this.biller(input.billerId);
    try {
      const row = await this.accountsRepo.insert(this.dataSource.manager, { user_id: userId, biller_id: biller.id, customer_ref: input.customerRef, alias: input.alias?.trim() || null });
      return toAccountView(row, biller.name, biller.currency);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('ACCOUNT_ALREADY_LINKED', 'This account is already linked');
      throw err;
    }
  }

  async accounts(userId: string): Promise<BillerAccountView[]> {
    const rows = await this.accountsRepo.ofUser(this.dataSource.manager, userId);
    const billers = await this.billerNames(rows.map((r) => r.biller_id));
    return rows.map((r) => toAccountView(r, billers.get(r.biller_id)!.name, billers.get(r.biller_id)!.currency));
  }

  async account(userId: string, accountId: string, manager: EntityManager = this.dataSource.manager): Promise<BillerAccountView> {
    const row = UUID.test(accountId) ? await this.accountsRepo.ofUserById(manager, userId, accountId) : null;
    if (!row) throw new NotFoundError('No such linked account');
    const [org] = await this.organizations.records([row.biller_id], manager);
    return toAccountView(row, org.name, org.currency);
  }

  /**
   * Turns auto-pay on (with a cap) or off for a linked account. It applies to
   * bills that arrive from then on; bills already open are the citizen's to pay.
   */
  async setAutopay(userId: string, accountId: string, maxAmount: bigint | null): Promise<BillerAccountView> {
    await this.account(userId, accountId);
    await this.accountsRepo.setAutopayCap(this.dataSource.manager, userId, accountId, maxAmount);
    return this.account(userId, accountId);
  }

  /** Newest first, `limit` a page, continuing after `after` (the cursor's position). */
  async autopayAttempts(userId: string, accountId: string, limit: number, after?: { at: string; id: string }): Promise<Page<AutopayAttemptView>> {
    await this.account(userId, accountId);
    const rows = await this.accountsRepo.autopayAttempts(this.dataSource.manager, accountId, limit, after);
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
    return (await this.billsRepo.openOfUser(this.dataSource.manager, userId)).map(toBillView);
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

function toAccountView(r: BillerAccountEntity, billerName: string, currency: string): BillerAccountView {
  return {
    id: r.id,
    billerId: r.biller_id,
    billerName,
    customerRef: r.customer_ref,
    alias: r.alias,
    autoPay: r.autopay_max_amount === null ? null : { maxAmount: Number(r.autopay_max_amount), currency: currency.trim() as Currency },
    createdAt: r.created_at.toISOString(),
  };
}
