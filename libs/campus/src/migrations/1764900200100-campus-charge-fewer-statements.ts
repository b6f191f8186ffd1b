import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CampusChargeNotifies1764800500200 } from './1764800500200-campus-charge-notifies.js';

/**
 * campus.pos_charge() in fewer statements, for the server's CPU per charge
 * (each statement a PL/pgSQL function runs costs an executor start and end,
 * a plan check, a snapshot, beside its own work). Rules, their order and
 * refusals unchanged (see 1764700500100 and 1764800500200):
 * - the card row-locked and its member's `active` read in one statement
 *   (was two);
 * - the code used once, the day's spending and the charge row written by
 *   one statement (was three), the charge row only when the other two
 *   passed, so CODE_ALREADY_USED still comes before DAILY_LIMIT_EXCEEDED and
 *   both before anything the charge row could refuse; the subsidy purse's
 *   balance is read just before (under the card's row lock, as before);
 * - the journal entry's postings put in account id order by PL/pgSQL
 *   expressions (no query) when one purse pays, the common case;
 * - ledger_post()'s rows read by one SELECT INTO (no cursor loop);
 * - notifications.enqueue() and set_config() called as expressions (no
 *   PERFORM statement);
 * - no `SET search_path` clause (each call switched the search path and
 *   back): every table is named with its schema.
 */
export class CampusChargeFewerStatements1764900200100 implements MigrationInterface {
  name = 'CampusChargeFewerStatements1764900200100';

  async up(q: QueryRunner): Promise<void> {
    // CREATE OR REPLACE keeps the function's identity but not its SET clause: the new one has none
    await q.query(`
      CREATE OR REPLACE FUNCTION campus.pos_charge(
        p_id uuid, p_card_ref text, p_university_id uuid, p_merchant_id uuid, p_receivable uuid, p_device_id uuid,
        p_amount bigint, p_jti text, p_charged_at timestamptz, p_description text, p_offline boolean, p_pin_checked boolean
      ) RETURNS TABLE (card_id uuid, user_id uuid, currency text, subsidy_amount bigint, balance_after bigint, subsidy_balance_after bigint)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_card record;
        v_status text;
        v_currency text;
        v_mode text := CASE WHEN p_offline THEN 'OFFLINE' ELSE 'ONLINE' END;
        v_subsidy bigint;
        v_cash bigint;
        v_left bigint;
        v_part bigint;
        v_lot record;
        v_cash_after bigint;
        v_subsidy_after bigint;
        v_fresh boolean;
        v_within boolean;
        v_purse uuid;
        v_accounts uuid[];
        v_currencies text[];
        v_amounts bigint[];
        v_ignored text;
      BEGIN
        SELECT c.id, c.university_id, c.user_id, c.status, c.currency, c.daily_limit, c.password_free_limit,
               c.cash_account_id, c.subsidy_account_id,
               (SELECT m.active FROM campus.members m WHERE m.university_id = c.university_id AND m.member_no = c.member_no) AS active
          INTO v_card
          FROM campus.cards c
         WHERE c.ref = p_card_ref
           FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'INVALID_CODE' USING ERRCODE = 'CP422';
        END IF;
        IF v_card.university_id <> p_university_id THEN
          RAISE EXCEPTION 'WRONG_UNIVERSITY' USING ERRCODE = 'CP422';
        END IF;
        IF p_offline THEN
          SELECT e.status INTO v_status FROM campus.card_status_events e
           WHERE e.card_id = v_card.id AND e.at <= p_charged_at ORDER BY e.at DESC, e.id DESC LIMIT 1;
        ELSE
          v_status := v_card.status;
        END IF;
        IF v_status = 'FROZEN' THEN
          RAISE EXCEPTION 'CARD_FROZEN' USING ERRCODE = 'CP422';
        END IF;
        IF NOT v_card.active THEN
          RAISE EXCEPTION 'MEMBER_INACTIVE' USING ERRCODE = 'CP422';
        END IF;
        IF NOT p_offline AND p_amount > v_card.password_free_limit AND NOT p_pin_checked THEN
          RAISE EXCEPTION 'PIN_REQUIRED' USING ERRCODE = 'CP422';
        END IF;

        -- the subsidy purse first (its ledger balance), then cash
        v_currency := trim(v_card.currency);
        v_subsidy_after := ledger.ledger_balance(v_card.subsidy_account_id);
        v_subsidy := LEAST(GREATEST(v_subsidy_after, 0), p_amount);
        v_subsidy_after := v_subsidy_after - v_subsidy;
        v_cash := p_amount - v_subsidy;

        -- the code used once, then the day's spending within the limit, then (both passed) the charge
        WITH used AS (
          INSERT INTO campus.used_codes (jti, card_id) VALUES (p_jti, v_card.id) ON CONFLICT (jti) DO NOTHING RETURNING 1
        ), spent AS (
          INSERT INTO campus.card_days AS d (card_id, day, spent)
            SELECT v_card.id, (p_charged_at AT TIME ZONE 'Asia/Shanghai')::date, p_amount
             WHERE p_amount <= v_card.daily_limit AND EXISTS (SELECT FROM used)
          ON CONFLICT ON CONSTRAINT card_days_pkey DO UPDATE SET spent = d.spent + EXCLUDED.spent WHERE d.spent + EXCLUDED.spent <= v_card.daily_limit
          RETURNING 1
        ), charged AS (
          INSERT INTO campus.charges (id, card_id, merchant_id, device_id, amount, subsidy_amount, cash_amount, currency, description, mode, code_jti, charged_at)
          SELECT p_id, v_card.id, p_merchant_id, p_device_id, p_amount, v_subsidy, v_cash, v_currency, p_description, v_mode, p_jti, p_charged_at
           WHERE EXISTS (SELECT FROM spent)
          RETURNING 1
        )
        SELECT EXISTS (SELECT FROM used), EXISTS (SELECT FROM charged) INTO v_fresh, v_within;
        IF NOT v_fresh THEN
          RAISE EXCEPTION 'CODE_ALREADY_USED' USING ERRCODE = 'CP422';
        END IF;
        IF NOT v_within THEN
          RAISE EXCEPTION 'DAILY_LIMIT_EXCEEDED' USING ERRCODE = 'CP422';
        END IF;

        -- from the subsidies that expire first
        v_left := v_subsidy;
        IF v_left > 0 THEN
          FOR v_lot IN
            SELECT l.id, l.remaining FROM campus.subsidy_lots l WHERE l.card_id = v_card.id AND l.remaining > 0
             ORDER BY l.expires_at ASC NULLS LAST, l.created_at, l.id FOR UPDATE
          LOOP
            EXIT WHEN v_left = 0;
            v_part := LEAST(v_lot.remaining, v_left);
            UPDATE campus.subsidy_lots SET remaining = remaining - v_part WHERE id = v_lot.id;
            INSERT INTO campus.charge_lot_uses (charge_id, lot_id, amount) VALUES (p_id, v_lot.id, v_part);
            v_left := v_left - v_part;
          END LOOP;
        END IF;
        IF v_left <> 0 THEN
          RAISE EXCEPTION 'card %: subsidy lots hold less than the subsidy purse', v_card.id;
        END IF;

        -- one balanced entry, postings in account id order (the ledger's lock order)
        IF v_subsidy > 0 AND v_cash > 0 THEN
          SELECT array_agg(a ORDER BY a), array_agg(n ORDER BY a) INTO v_accounts, v_amounts
            FROM unnest(ARRAY[p_receivable, v_card.subsidy_account_id, v_card.cash_account_id], ARRAY[p_amount, -v_subsidy, -v_cash]) AS t(a, n);
        ELSE
          v_purse := CASE WHEN v_cash > 0 THEN v_card.cash_account_id ELSE v_card.subsidy_account_id END;
          IF p_receivable < v_purse THEN
            v_accounts := ARRAY[p_receivable, v_purse];
            v_amounts := ARRAY[p_amount, -p_amount];
          ELSE
            v_accounts := ARRAY[v_purse, p_receivable];
            v_amounts := ARRAY[-p_amount, p_amount];
          END IF;
        END IF;
        v_currencies := array_fill(v_currency, ARRAY[cardinality(v_accounts)]);
        IF p_offline THEN
          v_ignored := set_config('ledger.use_floor', 'on', true);
        END IF;
        SELECT x.balance_after INTO v_cash_after
          FROM ledger.ledger_post(
            'campus:charge:' || p_id, 'CAMPUS_CHARGE', COALESCE(p_description, 'Campus card charge'),
            jsonb_build_object('cardId', v_card.id, 'chargeId', p_id, 'merchantId', p_merchant_id, 'mode', v_mode),
            NULL,
            v_accounts, v_currencies, v_amounts
          ) x
         WHERE x.account_id = v_card.cash_account_id;
        IF p_offline THEN
          v_ignored := set_config('ledger.use_floor', 'off', true);
        END IF;
        IF v_cash_after IS NULL THEN
          v_cash_after := ledger.ledger_balance(v_card.cash_account_id);
        END IF;

        INSERT INTO campus.card_movements (card_id, kind, amount, subsidy_amount, balance_after, subsidy_balance_after, ref_id, description)
        VALUES (v_card.id, 'CHARGE', -p_amount, -v_subsidy, v_cash_after + v_subsidy_after, v_subsidy_after, p_id,
                COALESCE(p_description, CASE WHEN p_offline THEN 'Campus charge (offline POS)' ELSE 'Campus charge' END));

        -- the owner hears of it if and only if this charge commits (the caller wakes the live streams after
        -- the commit: notifications.enqueue() sends no NOTIFY, whose lock would serialise the commits)
        v_fresh := notifications.enqueue(v_card.user_id, 'CARD_CHARGED', p_id::text, jsonb_build_object(
          'chargeId', p_id, 'amount', jsonb_build_object('amount', p_amount, 'currency', v_currency), 'cardId', v_card.id,
          'merchantId', p_merchant_id, 'mode', v_mode));

        card_id := v_card.id; user_id := v_card.user_id; currency := v_currency; subsidy_amount := v_subsidy;
        balance_after := v_cash_after + v_subsidy_after; subsidy_balance_after := v_subsidy_after;
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // the previous definition, its SET search_path = campus included
    await new CampusChargeNotifies1764800500200().up(q);
  }
}
