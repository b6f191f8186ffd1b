import type { MigrationInterface, QueryRunner } from 'typeorm';
import { payFromWalletDefinition as definition, rewritePayFromWallet as rewrite } from './pay-from-wallet-rewrite.js';

/**
 * billing.pay_from_wallet() in fewer statements, for the database's CPU per
 * payment (each statement a PL/pgSQL function runs costs an executor start
 * and end beside its own work):
 * - the bill (under its row lock), its biller's rules and whether the biller
 *   has a webhook are read by one statement (were three);
 * - the `bill` and `payment` result columns are no longer filled: every
 *   caller (the API's statement, pay_from_wallet_batch) reads `response`
 *   only, and each was a jsonb document built on every payment. They stay in
 *   the result (NULL) so that the function keeps its signature.
 * Rules, their order and refusals unchanged.
 */
const REWRITES: [string, string][] = [
  [
    `SELECT * INTO v_bill FROM billing.bills WHERE id = p_bill FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'No such bill' USING ERRCODE = 'BP404';
        END IF;
        has_webhook := EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = v_bill.biller_id);
        SELECT * INTO v_rules FROM billing.billers WHERE organization_id = v_bill.biller_id;`,
    `SELECT b AS bill, r AS rules, EXISTS (SELECT 1 FROM billing.biller_webhooks w WHERE w.biller_id = b.biller_id) AS hooked
          INTO v_read
          FROM billing.bills b LEFT JOIN billing.billers r ON r.organization_id = b.biller_id
         WHERE b.id = p_bill
           FOR UPDATE OF b;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'No such bill' USING ERRCODE = 'BP404';
        END IF;
        v_bill := v_read.bill;
        v_rules := v_read.rules;
        has_webhook := v_read.hooked;`,
  ],
  [
    `        v_currency text;
      BEGIN`,
    `        v_currency text;
        v_read record;
      BEGIN`,
  ],
  [
    `        bill := to_jsonb(v_bill);
        payment := to_jsonb(v_payment);
        response := `,
    `        response := `,
  ],
];

export class PayFromWalletFewerStatements1764900600300 implements MigrationInterface {
  name = 'PayFromWalletFewerStatements1764900600300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(rewrite(await definition(q), ...REWRITES));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(rewrite(await definition(q), ...[...REWRITES].reverse().map(([from, to]): [string, string] => [to, from])));
  }
}
