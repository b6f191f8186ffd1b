import type { MigrationInterface, QueryRunner } from 'typeorm';

const BILL_PAID = (fn: 'enqueue' | 'notify') => `
  CREATE OR REPLACE FUNCTION billing.notify_bill_paid(p_payment uuid) RETURNS boolean LANGUAGE sql AS $$
    SELECT notifications.${fn}(p.payer_user_id, 'BILL_PAID', p.id::text, jsonb_build_object(
             'billId', b.id, 'paymentId', p.id, 'billerName', COALESCE(r.name, ''),
             'customerRef', b.customer_ref, 'period', b.period,
             'amount', jsonb_build_object('amount', p.amount, 'currency', trim(p.currency)),
             'receiptNo', COALESCE(p.receipt_no, '')))
      FROM billing.bill_payments p
      JOIN billing.bills b ON b.id = p.bill_id
      LEFT JOIN billing.billers r ON r.organization_id = p.biller_id
     WHERE p.id = p_payment
  $$`;

/**
 * BILL_PAID is written without a NOTIFY in the payment's commit
 * (notifications.enqueue instead of notify). A commit that NOTIFYs holds
 * PostgreSQL's one notification-queue lock through its WAL flush, so every
 * wallet payment committed one after another. The caller wakes the payer's
 * live streams itself: after the commit (NotificationsService.announce, many
 * payments coalesced into one NOTIFY) for the one-statement payment, or
 * inside its transaction (NotificationsService.wakeAtCommit) for the paths
 * that run in one (webhook billers, auto-pay, provider captures).
 */
export class BillPaidEnqueued1764800500300 implements MigrationInterface {
  name = 'BillPaidEnqueued1764800500300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(BILL_PAID('enqueue'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(BILL_PAID('notify'));
  }
}
