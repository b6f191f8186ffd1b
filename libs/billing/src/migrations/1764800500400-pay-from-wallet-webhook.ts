import type { MigrationInterface, QueryRunner } from 'typeorm';
import { payFromWalletDefinition as definition, rewritePayFromWallet as rewrite } from './pay-from-wallet-rewrite.js';

const STANDALONE_REFUSAL = `
        IF has_webhook AND p_standalone THEN
          RAISE EXCEPTION 'The biller has a webhook: pay in a transaction' USING ERRCODE = 'BP428';
        END IF;`;
const NOTICE = `PERFORM billing.notify_bill_paid(p_payment);`;
// the event WebhooksService.paymentSucceeded() writes, the same SQL function and key (once per payment)
const WEBHOOK = `${NOTICE}
        IF has_webhook THEN
          PERFORM notifications.enqueue_webhook(v_bill.biller_id, 'bill_payment.succeeded', p_payment::text, jsonb_build_object(
            'paymentId', p_payment, 'billId', p_bill, 'customerRef', v_bill.customer_ref, 'period', v_bill.period,
            'amount', v_payment.amount, 'currency', trim(v_payment.currency), 'method', v_payment.method,
            'receiptNo', v_payment.receipt_no, 'paidAt', billing.iso_time(v_payment.paid_at)));
        END IF;`;

/**
 * A biller with a webhook is paid in the one statement too. Since webhooks
 * moved onto the notifications outbox (a relay polls it; no job to enqueue),
 * the event is one SQL call, `notifications.enqueue_webhook()`, so
 * `billing.pay_from_wallet()` writes it itself instead of refusing a
 * standalone call (BP428) and having the caller pay again in a transaction
 * with 8 round trips. Most utility billers have a webhook: the 2 round
 * trips of a wallet payment now hold for them.
 */
export class PayFromWalletWebhook1764800500400 implements MigrationInterface {
  name = 'PayFromWalletWebhook1764800500400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(rewrite(await definition(q), [STANDALONE_REFUSAL, ''], [NOTICE, WEBHOOK]));
  }

  async down(q: QueryRunner): Promise<void> {
    const def = await definition(q);
    await q.query(rewrite(def, [WEBHOOK, NOTICE], [`has_webhook := EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = v_bill.biller_id);`, `has_webhook := EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = v_bill.biller_id);${STANDALONE_REFUSAL}`]));
  }
}
