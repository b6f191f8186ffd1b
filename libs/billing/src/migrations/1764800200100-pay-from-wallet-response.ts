import type { MigrationInterface, QueryRunner } from 'typeorm';
import { functionDefinition } from '@app/database';

/**
 * A wallet bill payment in one round trip after its idempotency claim
 * (issue 16: at most 3). `billing.pay_from_wallet()` now also renders the
 * API's response (`billing.bill_view`, `billing.payment_view`: the SQL twins
 * of toBillView / toPaymentView, checked equal by test/billing/pay-round-trips)
 * and stores it as the request's idempotent response
 * (`common.idempotency_record`), so the statement runs on its own, without
 * BEGIN, a separate completion or COMMIT: the one statement is the
 * transaction.
 *
 * A biller with a webhook also needs its outbox row and delivery job, which
 * are written by WebhooksService in a transaction: called with
 * `p_standalone`, the function refuses such a bill with SQLSTATE BP428
 * before writing anything, and the caller pays again in a transaction.
 * Everything else is as in migration 1764700100200.
 */
const NEW_SIGNATURE = 'billing.pay_from_wallet(uuid, uuid, uuid, bigint, uuid, boolean, text, text, uuid, integer)';

export class PayFromWalletResponse1764800200100 implements MigrationInterface {
  name = 'PayFromWalletResponse1764800200100';

  async up(q: QueryRunner): Promise<void> {
    // ISO 8601 in UTC to the millisecond, as Date.toISOString() (both truncate the microseconds)
    await q.query(`
      CREATE FUNCTION billing.iso_time(p_at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`);

    // domain/mask-name.ts: the first character, the rest masked
    await q.query(`
      CREATE FUNCTION billing.bill_view(b billing.bills) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
        SELECT jsonb_build_object(
          'id', b.id, 'billerId', b.biller_id, 'customerRef', b.customer_ref, 'period', b.period,
          'amount', b.amount, 'paidAmount', b.paid_amount, 'outstanding', greatest(b.amount - b.paid_amount, 0),
          'currency', trim(b.currency), 'dueDate', b.due_date::text,
          'status', CASE WHEN b.paid_amount >= b.amount THEN 'PAID' WHEN b.paid_amount > 0 THEN 'PARTIALLY_PAID' ELSE 'UNPAID' END,
          'customerNameMasked', CASE
            WHEN NULLIF(b.customer_name, '') IS NULL THEN NULL
            WHEN char_length(btrim(b.customer_name)) <= 1 THEN '*'
            ELSE left(btrim(b.customer_name), 1) || repeat('*', char_length(btrim(b.customer_name)) - 1) END)
      $$`);

    await q.query(`
      CREATE FUNCTION billing.payment_view(p billing.bill_payments) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
        SELECT jsonb_strip_nulls(jsonb_build_object(
          'id', p.id, 'status', p.status, 'amount', p.amount, 'currency', trim(p.currency), 'method', p.method,
          'billId', p.bill_id, 'receiptNo', NULLIF(p.receipt_no, ''), 'paidAt', billing.iso_time(p.paid_at),
          'createdAt', billing.iso_time(p.created_at)))
      $$`);

    await q.query(`DROP FUNCTION billing.pay_from_wallet(uuid, uuid, uuid, bigint, uuid)`);
    await q.query(`
      CREATE FUNCTION billing.pay_from_wallet(
        p_payment uuid, p_bill uuid, p_payer uuid, p_requested bigint, p_autopay_account uuid,
        p_standalone boolean, p_idem_scope text, p_idem_key text, p_idem_claim uuid, p_idem_status integer)
      RETURNS TABLE (bill jsonb, payment jsonb, has_webhook boolean, response jsonb) LANGUAGE plpgsql AS $$
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
        has_webhook := EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = v_bill.biller_id);
        IF has_webhook AND p_standalone THEN
          RAISE EXCEPTION 'The biller has a webhook: pay in a transaction' USING ERRCODE = 'BP428';
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
        response := jsonb_build_object('payment', billing.payment_view(v_payment), 'bill', billing.bill_view(v_bill));
        IF p_idem_claim IS NOT NULL THEN
          PERFORM common.idempotency_record(p_idem_scope, p_idem_key, p_idem_claim, p_idem_status, response);
        END IF;
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // back to migration 1764700100200's function: this one without the response and the standalone check
    const def = await functionDefinition(q, NEW_SIGNATURE);
    await q.query(`DROP FUNCTION billing.pay_from_wallet(${NEW_SIGNATURE.slice(NEW_SIGNATURE.indexOf('(') + 1, -1)})`);
    let old = def
      .replace(/,\s*p_standalone boolean, p_idem_scope text, p_idem_key text, p_idem_claim uuid, p_idem_status integer/, '')
      .replace(/, response jsonb\)/, ')')
      .replace(/\s*IF has_webhook AND p_standalone THEN[\s\S]*?END IF;/, '')
      .replace(/\s*response := [^;]*;\s*IF p_idem_claim IS NOT NULL THEN[\s\S]*?END IF;/, '');
    if (old === def || /p_idem|p_standalone|response/.test(old)) throw new Error('billing.pay_from_wallet() is not as this migration left it');
    old = old.replace('CREATE OR REPLACE FUNCTION', 'CREATE FUNCTION');
    await q.query(old);
    await q.query(`DROP FUNCTION billing.payment_view(billing.bill_payments)`);
    await q.query(`DROP FUNCTION billing.bill_view(billing.bills)`);
    await q.query(`DROP FUNCTION billing.iso_time(timestamptz)`);
  }
}
