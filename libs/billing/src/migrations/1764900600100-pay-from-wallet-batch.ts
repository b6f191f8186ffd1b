import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The arrays of billing.pay_from_wallet_batch() must have one length. */
export const PAY_BATCH_LENGTHS = `IF cardinality(p_bill) <> v_n OR cardinality(p_payer) <> v_n OR cardinality(p_requested) <> v_n
           OR cardinality(p_idem_scope) <> v_n OR cardinality(p_idem_key) <> v_n OR cardinality(p_idem_claim) <> v_n
           OR cardinality(p_idem_status) <> v_n THEN
          RAISE EXCEPTION 'pay_from_wallet_batch: arrays of different lengths';
        END IF;`;

/** Each payment of the batch through billing.pay_from_wallet() in its own subtransaction, its error its answer. */
export const PAY_BATCH_EACH = `FOR i IN 1 .. v_n LOOP
          ord := i;
          BEGIN
            SELECT r.response INTO STRICT response
              FROM billing.pay_from_wallet(p_payment[i], p_bill[i], p_payer[i], p_requested[i], NULL, true,
                                           p_idem_scope[i], p_idem_key[i], p_idem_claim[i], p_idem_status[i]) r;
            error_state := NULL; error_message := NULL; error_detail := NULL;
          EXCEPTION WHEN OTHERS THEN
            response := NULL;
            GET STACKED DIAGNOSTICS error_state = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT, error_detail = PG_EXCEPTION_DETAIL;
          END;
          RETURN NEXT;
        END LOOP;`;

/** billing.pay_from_wallet_batch() as this migration creates it. */
export const payBatchEachFunction = (): string => `
      CREATE FUNCTION billing.pay_from_wallet_batch(
        p_payment uuid[], p_bill uuid[], p_payer uuid[], p_requested bigint[],
        p_idem_scope text[], p_idem_key text[], p_idem_claim uuid[], p_idem_status integer[]
      ) RETURNS TABLE (ord integer, response jsonb, error_state text, error_message text, error_detail text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_n integer := cardinality(p_payment);
      BEGIN
        ${PAY_BATCH_LENGTHS}
        ${PAY_BATCH_EACH}
      END $$`;

/**
 * billing.pay_from_wallet_batch(): several wallet payments of bills in one
 * statement and one transaction (the API's group commit, see GroupCommit in
 * libs/common), each exactly billing.pay_from_wallet() as the API called it
 * on its own (its rules, refusals, notification, webhook event and
 * stored idempotent response unchanged) in its own subtransaction: a refused
 * payment (BP404/BP409/BP422, LD402, IK409, or any other error, a deadlock
 * included) undoes its own writes only and is answered with its SQLSTATE,
 * message and detail (BP422 carries what is outstanding there); the others
 * commit together. Payments run in the order given (the API sends them by
 * payer, then bill: two batches take the payers' wallets in the same order).
 */
export class PayFromWalletBatch1764900600100 implements MigrationInterface {
  name = 'PayFromWalletBatch1764900600100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(payBatchEachFunction());
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION billing.pay_from_wallet_batch(uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], integer[])`);
  }
}
