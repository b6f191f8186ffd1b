import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PAY_BATCH_LENGTHS, PAY_BATCH_EACH, payBatchEachFunction } from './1764900600100-pay-from-wallet-batch.js';

/**
 * billing.pay_from_wallet_batch() set-wise: the payments of a batch were each
 * billing.pay_from_wallet() in a subtransaction, about fifteen statements a
 * payment (each with its executor start, its CHECK expressions built again,
 * its PL/pgSQL step), which made a payment cost about three pgbench
 * transactions of database CPU. Now the whole batch is first tried as one
 * set: the bills locked by one statement (id order) and read with their
 * billers' rules by another, the amounts decided by billing.decide_amount()
 * for each, one UPDATE of the bills, one INSERT of the payments (receipt
 * numbers in the order given), the ledger by ledger.ledger_post_many() (same
 * entries, postings and hot-account credits as ledger_post()), one INSERT of
 * the notifications, one of the webhook events, one UPDATE completing the
 * idempotency claims with each payment's response; the response documents are
 * billing.payment_view() and billing.bill_view() as before.
 *
 * Any refusal or surprise in the set (a bill paid twice in the batch, no such
 * bill, a bill already paid or an amount its biller refuses, a wallet short,
 * a lost claim, a deadlock, any error) undoes the set attempt (one
 * subtransaction) and the batch runs as before, each payment on its own with
 * its own answer: a refused payment is answered exactly as it was, and costs
 * its batch the set attempt. `path` tells the caller which way the batch
 * went, for the metric and the tests: 'set', 'each' (after a refusal or
 * with a bill twice), or 'alone' (a batch of one payment, which runs as
 * billing.pay_from_wallet() on its own without a set attempt); `set_error`,
 * the SQLSTATE and message that undid the set attempt, for the API to log
 * when it is not a refusal (a fault of the set path would otherwise only
 * show as slower batches).
 *
 * Locks: the set takes the bills (id order) before the wallets (id order,
 * in ledger_post_many), so two set batches cannot deadlock on each other.
 */
export class PayFromWalletSetWise1764900700100 implements MigrationInterface {
  name = 'PayFromWalletSetWise1764900700100';

  async up(q: QueryRunner): Promise<void> {
    // the result gains a column: a new function, not a replacement
    await q.query(`DROP FUNCTION billing.pay_from_wallet_batch(uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], integer[])`);
    await q.query(`
      CREATE FUNCTION billing.pay_from_wallet_batch(
        p_payment uuid[], p_bill uuid[], p_payer uuid[], p_requested bigint[],
        p_idem_scope text[], p_idem_key text[], p_idem_claim uuid[], p_idem_status integer[]
      ) RETURNS TABLE (ord integer, response jsonb, error_state text, error_message text, error_detail text, path text, set_error text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_n integer := cardinality(p_payment);
        v_bill billing.bills[];          -- per payment: its bill, locked (after the UPDATE: as updated)
        v_name text[];                   -- per payment: its biller's name
        v_hooked boolean[];              -- per payment: its biller has a webhook endpoint
        v_amount bigint[];
        v_currency text[];
        v_wallet uuid[];
        v_receivable uuid[];
        v_payment billing.bill_payments[];
        v_response jsonb[];
        v_found integer;
        v_claims integer;
        v_set_error text;
        v_short boolean;
        v_posted_before boolean;
      BEGIN
        ${PAY_BATCH_LENGTHS}
        IF v_n > 1 AND (SELECT count(DISTINCT b) FROM unnest(p_bill) b) = v_n THEN
          BEGIN
            PERFORM 1 FROM billing.bills b WHERE b.id = ANY (p_bill) ORDER BY b.id FOR UPDATE;
            -- a new statement after the locks: each bill as its last payment left it
            SELECT count(b.id)::int,
                   array_agg(b ORDER BY x.i),
                   array_agg(r.name ORDER BY x.i),
                   array_agg(EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = b.biller_id) ORDER BY x.i),
                   array_agg(billing.decide_amount(b.amount - b.paid_amount, p_requested[x.i], r.allows_partial, r.allows_advance) ORDER BY x.i),
                   array_agg(trim(b.currency) ORDER BY x.i)
              INTO v_found, v_bill, v_name, v_hooked, v_amount, v_currency
              FROM unnest(p_bill) WITH ORDINALITY x(id, i)
              JOIN billing.bills b ON b.id = x.id
              LEFT JOIN billing.billers r ON r.organization_id = b.biller_id;
            IF v_found <> v_n THEN
              RAISE EXCEPTION 'No such bill' USING ERRCODE = 'BP404';
            END IF;

            SELECT array_agg(COALESCE(w.id, ledger.ledger_account('USER', x.payer::text, 'WALLET', x.cur, false)) ORDER BY x.i),
                   array_agg(COALESCE(r.id, ledger.ledger_account('ORGANIZATION', x.biller::text, 'RECEIVABLE', x.cur, true)) ORDER BY x.i)
              INTO v_wallet, v_receivable
              FROM (SELECT i, p_payer[i] AS payer, (v_bill[i]).biller_id AS biller, v_currency[i] AS cur FROM generate_series(1, v_n) i) x
              LEFT JOIN ledger.ledger_accounts w
                ON w.owner_type = 'USER' AND w.owner_id = x.payer::text AND w.purpose = 'WALLET' AND w.currency = x.cur
              LEFT JOIN ledger.ledger_accounts r
                ON r.owner_type = 'ORGANIZATION' AND r.owner_id = x.biller::text AND r.purpose = 'RECEIVABLE' AND r.currency = x.cur;

            WITH u AS (
              UPDATE billing.bills b SET paid_amount = b.paid_amount + x.amount, has_payments = true, updated_at = now()
                FROM unnest(p_bill, v_amount) x(id, amount)
               WHERE b.id = x.id
              RETURNING b)
            SELECT array_agg(u.b ORDER BY x.i) INTO v_bill
              FROM unnest(p_bill) WITH ORDINALITY x(id, i) JOIN u ON (u.b).id = x.id;

            WITH p AS (
              INSERT INTO billing.bill_payments AS t (id, bill_id, biller_id, payer_user_id, amount, currency, method, status, receipt_no, paid_at)
              SELECT p_payment[i], p_bill[i], (v_bill[i]).biller_id, p_payer[i], v_amount[i], v_currency[i], 'WALLET', 'SUCCEEDED',
                     billing.next_receipt_no(), now()
                FROM generate_series(1, v_n) i
               ORDER BY i
              RETURNING t)
            SELECT array_agg(p.t ORDER BY x.i) INTO v_payment
              FROM unnest(p_payment) WITH ORDINALITY x(id, i) JOIN p ON (p.t).id = x.id;

            SELECT bool_or(l.refused IS NOT NULL), bool_or(l.duplicate) INTO v_short, v_posted_before
              FROM ledger.ledger_post_many(
                (SELECT array_agg('bill-payment:' || p_payment[i] ORDER BY i) FROM generate_series(1, v_n) i),
                array_fill('BILL_PAYMENT'::text, ARRAY[v_n]),
                (SELECT array_agg('Bill ' || (v_bill[i]).customer_ref || ' ' || (v_bill[i]).period || ', receipt ' || (v_payment[i]).receipt_no ORDER BY i)
                   FROM generate_series(1, v_n) i),
                (SELECT array_agg(jsonb_build_object('billId', p_bill[i], 'paymentId', p_payment[i], 'billerId', (v_bill[i]).biller_id) ORDER BY i)
                   FROM generate_series(1, v_n) i),
                array_fill(2, ARRAY[v_n]),
                (SELECT array_agg(a ORDER BY i, k) FROM generate_series(1, v_n) i,
                        LATERAL (VALUES (1, v_wallet[i]), (2, v_receivable[i])) s(k, a)),
                (SELECT array_agg(v_currency[i] ORDER BY i, k) FROM generate_series(1, v_n) i, generate_series(1, 2) k),
                (SELECT array_agg(CASE k WHEN 1 THEN -v_amount[i] ELSE v_amount[i] END ORDER BY i, k) FROM generate_series(1, v_n) i, generate_series(1, 2) k)
              ) l;
            IF v_short THEN
              RAISE EXCEPTION 'insufficient funds' USING ERRCODE = 'LD402';
            END IF;
            IF v_posted_before THEN
              -- new payment ids make new references: a fault, not a refusal
              RAISE EXCEPTION 'a payment''s ledger reference was posted before';
            END IF;

            INSERT INTO notifications.notifications (user_id, type, data, key)
            SELECT p_payer[i], 'BILL_PAID', billing.bill_paid_data(v_payment[i], v_bill[i], v_name[i]), p_payment[i]::text
              FROM generate_series(1, v_n) i
             ORDER BY i
            ON CONFLICT (user_id, type, key) DO NOTHING;

            IF true = ANY (v_hooked) THEN
              INSERT INTO notifications.webhook_deliveries (organization_id, event_type, key, payload)
              SELECT e.organization_id, 'bill_payment.succeeded', p_payment[i]::text, jsonb_build_object('type', 'bill_payment.succeeded', 'data', jsonb_build_object(
                       'paymentId', p_payment[i], 'billId', p_bill[i], 'customerRef', (v_bill[i]).customer_ref, 'period', (v_bill[i]).period,
                       'amount', (v_payment[i]).amount, 'currency', trim((v_payment[i]).currency), 'method', (v_payment[i]).method,
                       'receiptNo', (v_payment[i]).receipt_no, 'paidAt', billing.iso_time((v_payment[i]).paid_at)))
                FROM generate_series(1, v_n) i
                JOIN notifications.webhook_endpoints e ON e.organization_id = (v_bill[i]).biller_id
               WHERE v_hooked[i]
               ORDER BY i
              ON CONFLICT (organization_id, event_type, key) DO NOTHING;
            END IF;

            SELECT array_agg(jsonb_build_object('payment', billing.payment_view(v_payment[i]), 'bill', billing.bill_view(v_bill[i])) ORDER BY i)
              INTO v_response
              FROM generate_series(1, v_n) i;

            UPDATE common.idempotency_keys k
               SET status = 'COMPLETED', response_status = x.status, response_body = x.body::json, completed_at = now()
              FROM unnest(p_idem_scope, p_idem_key, p_idem_claim, p_idem_status, v_response) x(scope, key, claim, status, body)
             WHERE x.claim IS NOT NULL AND k.scope = x.scope AND k.key = x.key AND k.claim = x.claim AND k.status = 'IN_PROGRESS';
            GET DIAGNOSTICS v_found = ROW_COUNT;
            SELECT count(c)::int INTO v_claims FROM unnest(p_idem_claim) c;
            IF v_found <> v_claims THEN
              RAISE EXCEPTION 'IDEMPOTENCY_CLAIM_LOST' USING ERRCODE = 'IK409';
            END IF;

            RETURN QUERY SELECT i, v_response[i], NULL::text, NULL::text, NULL::text, 'set'::text, NULL::text FROM generate_series(1, v_n) i;
            RETURN;
          EXCEPTION WHEN OTHERS THEN
            -- undone as a whole: each payment on its own below gives each its own answer; what
            -- stopped the set goes back with them, so that the API can tell a refusal from a fault
            v_set_error := SQLSTATE || ': ' || SQLERRM;
          END;
        END IF;
        path := CASE WHEN v_n = 1 THEN 'alone' ELSE 'each' END;
        set_error := v_set_error;
        -- each payment in its own subtransaction, exactly as billing.pay_from_wallet() on its own
        ${PAY_BATCH_EACH}
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION billing.pay_from_wallet_batch(uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], integer[])`);
    await q.query(payBatchEachFunction());
  }
}
