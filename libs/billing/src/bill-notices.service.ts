import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { shanghaiDay } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { OrganizationsService } from '@app/identity';
import { NotificationsService } from '@app/notifications';
import type { MoneyJson, NotificationInput } from '@app/notifications';
import { BillNoticesRepository } from './bill-notices.repository.js';
import type { BillRecipientRow } from './bill-notices.repository.js';

export const BILL_DUE_JOB = 'billing.bill-due';

const money = (amount: string, currency: string): MoneyJson => ({ amount: Number(amount), currency: currency.trim() as MoneyJson['currency'] });

/**
 * The bill events citizens hear of, each written in the transaction of the
 * event (NotificationsService's outbox): a new bill on a linked account, a
 * bill due within three days, a bill paid, an auto-pay that did not pay.
 */
@Injectable()
export class BillNotices {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: BillNoticesRepository,
    private readonly notifications: NotificationsService,
    private readonly organizations: OrganizationsService,
  ) {}

  private async billerNames(m: EntityManager, rows: readonly { biller_id: string }[]): Promise<Map<string, string>> {
    const ids = [...new Set(rows.map((r) => r.biller_id))];
    return new Map((await this.organizations.records(ids, m)).map((o) => [o.id, o.name]));
  }

  /** BILL_ISSUED to every citizen who linked the account of these new bills: one statement for a whole load. */
  async billsIssued(m: EntityManager, billIds: readonly string[]): Promise<number> {
    const rows = await this.repository.recipientsOf(m, billIds);
    if (rows.length === 0) return 0;
    const names = await this.billerNames(m, rows);
    return this.notifications.notifyMany(
      m,
      rows.map(
        (r): NotificationInput => ({
          userId: r.user_id,
          type: 'BILL_ISSUED',
          key: r.bill_id,
          data: { billId: r.bill_id, billerId: r.biller_id, billerName: names.get(r.biller_id) ?? '', customerRef: r.customer_ref, period: r.period, amount: money(r.amount, r.currency), dueDate: r.due_date },
        }),
      ),
    );
  }

  /** BILL_PAID to the payer, in the payment's transaction (billing.notify_bill_paid, which pay_from_wallet calls too). */
  async billPaid(m: EntityManager, paymentId: string): Promise<void> {
    const payer = await this.repository.notifyBillPaid(m, paymentId);
    if (payer) await this.notifications.wakeAtCommit(m, payer);
  }

  /** Records why an auto-pay attempt did not pay and tells its account holder, in one transaction (once per attempt). */
  async autopayFailed(attemptId: string, reason: string): Promise<void> {
    await withTransactionRetry(this.dataSource, async (m) => {
      const row = await this.repository.failAutopay(m, attemptId, reason);
      if (!row) return;
      const names = await this.billerNames(m, [row]);
      await this.notifications.notify(m, {
        userId: row.user_id,
        type: 'AUTO_PAY_FAILED',
        key: attemptId,
        data: { billId: row.bill_id, accountId: row.account_id, billerName: names.get(row.biller_id) ?? '', customerRef: row.customer_ref, period: row.period, reason },
      });
    });
  }

  /**
   * The daily job: BILL_DUE for every bill due within the next three
   * Asia/Shanghai days and still not paid in full, once per bill and citizen
   * (a missed day catches up; a second run writes nothing new).
   */
  async remindDue(now = new Date()): Promise<number> {
    return withTransactionRetry(this.dataSource, async (m) => {
      const rows: BillRecipientRow[] = await this.repository.dueSoon(m, shanghaiDay(now));
      if (rows.length === 0) return 0;
      const names = await this.billerNames(m, rows);
      return this.notifications.notifyMany(
        m,
        rows.map(
          (r): NotificationInput => ({
            userId: r.user_id,
            type: 'BILL_DUE',
            key: r.bill_id,
            data: { billId: r.bill_id, billerId: r.biller_id, billerName: names.get(r.biller_id) ?? '', customerRef: r.customer_ref, period: r.period, outstanding: money(r.outstanding, r.currency), dueDate: r.due_date },
          }),
        ),
      );
    });
  }
}
