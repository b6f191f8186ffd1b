import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A bill payment from the wallet in one statement (issue 16: a payment was
 * about 13 round trips, each waiting on the busy event loop while the bill's
 * row lock was held). `billing.pay_from_wallet()` does, under the bill's row
 * lock: the amount rules (`billing.decide_amount`, the SQL twin of
 * domain/amount-rule.ts, checked equal by test/billing/amount-rules), the
 * bill's update, the payment and its receipt number, the ledger entry wallet
 * -> biller receivable through ledger's SQL API (`ledger.ledger_account`,
 * `ledger.ledger_post`), and the payer's BILL_PAID notification through
 * notifications' (`notifications.notify`). It answers the bill and the
 * payment as rows, and whether the biller has a webhook (whose outbox row
 * and job are written by WebhooksService in the same transaction).
 *
 * Refusals are SQLSTATEs: BP404 no such bill, BP409 BILL_ALREADY_PAID, BP422
 * OVERPAYMENT / PARTIAL_NOT_ALLOWED (the message; the outstanding amount is
 * the detail), LD402 insufficient funds (from ledger_post).
 *
 * The biller's name (in the notification) is kept in billing.billers from
 * the organisation's creation on, so that the statement needs no identity
 * read; filled here from identity's organisations (a one-off data move).
 */
export class PayFromWallet1764700100200 implements MigrationInterface {
  name = 'PayFromWallet1764700100200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE billing.billers ADD COLUMN name text NOT NULL DEFAULT ''`);
    await q.query(`UPDATE billing.billers b SET name = o.name FROM identity.organizations o WHERE o.id = b.organization_id`);

    await q.query(`
      CREATE FUNCTION billing.decide_amount(p_outstanding bigint, p_requested bigint, p_allows_partial boolean, p_allows_advance boolean)
      RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
      DECLARE
        v_amount bigint := COALESCE(p_requested, p_outstanding);
      BEGIN
        IF p_outstanding <= 0 THEN
          RAISE EXCEPTION 'BILL_ALREADY_PAID' USING ERRCODE = 'BP409', DETAIL = p_outstanding::text;
        END IF;
        IF v_amount > p_outstanding AND NOT p_allows_advance THEN
          RAISE EXCEPTION 'OVERPAYMENT' USING ERRCODE = 'BP422', DETAIL = p_outstanding::text;
        END IF;
        IF v_amount < p_outstanding AND NOT p_allows_partial THEN
          RAISE EXCEPTION 'PARTIAL_NOT_ALLOWED' USING ERRCODE = 'BP422', DETAIL = p_outstanding::text;
        END IF;
        RETURN v_amount;
      END $$`);

    // BP, the Shanghai business day, a sequence (8 digits at least, never cut)
    await q.query(`
      CREATE FUNCTION billing.next_receipt_no() RETURNS text LANGUAGE sql AS $$
        SELECT 'BP' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(n::text, greatest(8, length(n::text)), '0')
          FROM nextval('billing.bill_receipt_numbers') n
      $$`);

    await q.query(`
      CREATE FUNCTION billing.notify_bill_paid(p_payment uuid) RETURNS boolean LANGUAGE sql AS $$
        SELECT notifications.notify(p.payer_user_id, 'BILL_PAID', p.id::text, jsonb_build_object(
                 'billId', b.id, 'paymentId', p.id, 'billerName', COALESCE(r.name, ''),
                 'customerRef', b.customer_ref, 'period', b.period,
                 'amount', jsonb_build_object('amount', p.amount, 'currency', trim(p.currency)),
                 'receiptNo', COALESCE(p.receipt_no, '')))
          FROM billing.bill_payments p
          JOIN billing.bills b ON b.id = p.bill_id
          LEFT JOIN billing.billers r ON r.organization_id = p.biller_id
         WHERE p.id = p_payment
      $$`);

    await q.query(`
      CREATE FUNCTION billing.pay_from_wallet(p_payment uuid, p_bill uuid, p_payer uuid, p_requested bigint, p_autopay_account uuid)
      RETURNS TABLE (bill jsonb, payment jsonb, has_webhook boolean) LANGUAGE plpgsql AS $$
      DECLARE
        v_bill billing.bills%ROWTYPE;
        v_rules billing.billers%ROWTYPE;
        v_payment billing.bill_payments%ROWTYPE;
        v_amount bigint;
        v_currency text;
      BEGIN
        SELECT * INTO v_bill FROM billing.bills WHERE id = p_bill FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'No such bill' USING ERRCODE = 'BP404';
        END IF;
        SELECT * INTO v_rules FROM billing.billers WHERE organization_id = v_bill.biller_id;
        v_amount := billing.decide_amount(v_bill.amount - v_bill.paid_amount, p_requested, v_rules.allows_partial, v_rules.allows_advance);
        v_currency := trim(v_bill.currency);

        UPDATE billing.bills SET paid_amount = paid_amount + v_amount, has_payments = true, updated_at = now()
         WHERE id = p_bill RETURNING * INTO v_bill;
        INSERT INTO billing.bill_payments (id, bill_id, biller_id, payer_user_id, amount, currency, method, status, autopay_account_id, receipt_no, paid_at)
        VALUES (p_payment, p_bill, v_bill.biller_id, p_payer, v_amount, v_currency, 'WALLET', 'SUCCEEDED', p_autopay_account, billing.next_receipt_no(), now())
        RETURNING * INTO v_payment;

        PERFORM ledger.ledger_post(
          'bill-payment:' || p_payment, 'BILL_PAYMENT',
          'Bill ' || v_bill.customer_ref || ' ' || v_bill.period || ', receipt ' || v_payment.receipt_no,
          jsonb_build_object('billId', p_bill, 'paymentId', p_payment, 'billerId', v_bill.biller_id),
          NULL,
          ARRAY[ledger.ledger_account('USER', p_payer::text, 'WALLET', v_currency, false),
                ledger.ledger_account('ORGANIZATION', v_bill.biller_id::text, 'RECEIVABLE', v_currency, true)],
          ARRAY[v_currency, v_currency],
          ARRAY[-v_amount, v_amount]);
        PERFORM billing.notify_bill_paid(p_payment);

        bill := to_jsonb(v_bill);
        payment := to_jsonb(v_payment);
        has_webhook := EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = v_bill.biller_id);
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION billing.pay_from_wallet(uuid, uuid, uuid, bigint, uuid)`);
    await q.query(`DROP FUNCTION billing.notify_bill_paid(uuid)`);
    await q.query(`DROP FUNCTION billing.next_receipt_no()`);
    await q.query(`DROP FUNCTION billing.decide_amount(bigint, bigint, boolean, boolean)`);
    await q.query(`ALTER TABLE billing.billers DROP COLUMN name`);
  }
}
