import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * campus.pos_charge_batch(): several online POS charges in one statement and
 * one transaction (the API's group commit, see GroupCommit in libs/common),
 * each charge exactly campus.pos_charge() (its rules and refusals unchanged)
 * plus, in an idempotent request, common.idempotency_record() with the
 * response the API answers, both in the item's own subtransaction: a refused
 * item (a CP422 refusal, LD402, IK409, or any other error, a deadlock
 * included) undoes its own writes only and is answered with its SQLSTATE and
 * message; the others commit together. Items run in the order given (the API
 * sends them by card ref, so that two batches lock cards in the same order).
 * Online charges only (offline uploads run one transaction per charge).
 */
export class CampusChargeBatch1764900600000 implements MigrationInterface {
  name = 'CampusChargeBatch1764900600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION campus.pos_charge_batch(
        p_id uuid[], p_card_ref text[], p_university_id uuid[], p_merchant_id uuid[], p_receivable uuid[], p_device_id uuid[],
        p_amount bigint[], p_jti text[], p_charged_at timestamptz[], p_charged_at_text text[], p_description text[], p_pin_checked boolean[],
        p_scope text[], p_key text[], p_claim uuid[], p_status integer[]
      ) RETURNS TABLE (ord integer, card_id uuid, user_id uuid, currency text, subsidy_amount bigint, balance_after bigint,
                       subsidy_balance_after bigint, error_state text, error_message text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_row record;
        v_n integer := cardinality(p_id);
      BEGIN
        IF cardinality(p_card_ref) <> v_n OR cardinality(p_university_id) <> v_n OR cardinality(p_merchant_id) <> v_n
           OR cardinality(p_receivable) <> v_n OR cardinality(p_device_id) <> v_n OR cardinality(p_amount) <> v_n
           OR cardinality(p_jti) <> v_n OR cardinality(p_charged_at) <> v_n OR cardinality(p_charged_at_text) <> v_n
           OR cardinality(p_description) <> v_n OR cardinality(p_pin_checked) <> v_n OR cardinality(p_scope) <> v_n
           OR cardinality(p_key) <> v_n OR cardinality(p_claim) <> v_n OR cardinality(p_status) <> v_n THEN
          RAISE EXCEPTION 'pos_charge_batch: arrays of different lengths';
        END IF;
        FOR i IN 1 .. v_n LOOP
          ord := i;
          BEGIN
            SELECT * INTO STRICT v_row FROM campus.pos_charge(
              p_id[i], p_card_ref[i], p_university_id[i], p_merchant_id[i], p_receivable[i], p_device_id[i],
              p_amount[i], p_jti[i], p_charged_at[i], p_description[i], false, p_pin_checked[i]);
            IF p_scope[i] IS NOT NULL THEN
              PERFORM common.idempotency_record(p_scope[i], p_key[i], p_claim[i], p_status[i], jsonb_build_object(
                'id', p_id[i], 'status', 'SUCCEEDED', 'amount', p_amount[i], 'currency', v_row.currency,
                'subsidyAmount', v_row.subsidy_amount, 'cardBalanceAfter', v_row.balance_after, 'chargedAt', p_charged_at_text[i]));
            END IF;
            card_id := v_row.card_id; user_id := v_row.user_id; currency := v_row.currency;
            subsidy_amount := v_row.subsidy_amount; balance_after := v_row.balance_after;
            subsidy_balance_after := v_row.subsidy_balance_after;
            error_state := NULL; error_message := NULL;
          EXCEPTION WHEN OTHERS THEN
            card_id := NULL; user_id := NULL; currency := NULL; subsidy_amount := NULL; balance_after := NULL;
            subsidy_balance_after := NULL;
            error_state := SQLSTATE; error_message := SQLERRM;
          END;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION campus.pos_charge_batch(uuid[], text[], uuid[], uuid[], uuid[], uuid[], bigint[], text[], timestamptz[], text[], text[], boolean[], text[], text[], uuid[], integer[])`);
  }
}
