import type { MigrationInterface, QueryRunner } from 'typeorm';
import { BillingFunctionsPlanCached1764900100200 } from './1764900100200-billing-functions-plan-cached.js';
import { payFromWalletDefinition as definition, rewritePayFromWallet as rewrite } from './pay-from-wallet-rewrite.js';

const BY_ID = `PERFORM billing.notify_bill_paid(p_payment);`;
const FROM_ROWS = `PERFORM notifications.enqueue(p_payer, 'BILL_PAID', p_payment::text, billing.bill_paid_data(v_payment, v_bill, v_rules.name));`;

/**
 * billing.pay_from_wallet() writes BILL_PAID from the rows it holds instead
 * of calling notify_bill_paid(p_payment), which read the payment, its bill
 * and its biller back by a three-table join on every payment.
 *
 * The notification's data has one definition, billing.bill_paid_data(payment,
 * bill, biller name) (a STABLE SQL function, inlined where it is called),
 * used by notify_bill_paid() too: the same JSON as before, whichever path
 * wrote it. Same key (the payment id), so still written once per payment.
 */
export class BillPaidFromThePayment1764900100300 implements MigrationInterface {
  name = 'BillPaidFromThePayment1764900100300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION billing.bill_paid_data(p billing.bill_payments, b billing.bills, p_biller_name text) RETURNS jsonb
      LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
                 'billId', b.id, 'paymentId', p.id, 'billerName', COALESCE(p_biller_name, ''),
                 'customerRef', b.customer_ref, 'period', b.period,
                 'amount', jsonb_build_object('amount', p.amount, 'currency', trim(p.currency)),
                 'receiptNo', COALESCE(p.receipt_no, ''))
      $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION billing.notify_bill_paid(p_payment uuid) RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        v_written boolean;
      BEGIN
        SELECT notifications.enqueue(p.payer_user_id, 'BILL_PAID', p.id::text, billing.bill_paid_data(p, b, r.name))
          INTO v_written
          FROM billing.bill_payments p
          JOIN billing.bills b ON b.id = p.bill_id
          LEFT JOIN billing.billers r ON r.organization_id = p.biller_id
         WHERE p.id = p_payment;
        RETURN v_written;
      END $$`);
    await q.query(rewrite(await definition(q), [BY_ID, FROM_ROWS]));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(rewrite(await definition(q), [FROM_ROWS, BY_ID]));
    await new BillingFunctionsPlanCached1764900100200().up(q);
    await q.query(`DROP FUNCTION billing.bill_paid_data(billing.bill_payments, billing.bills, text)`);
  }
}
