import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CampusChargeFunction1764700500100 } from './1764700500100-campus-charge-function.js';

/**
 * campus.pos_charge() also writes the owner's CARD_CHARGED notification
 * (through notifications.enqueue(), notifications' SQL API), so that an
 * online charge without an Idempotency-Key context is ONE autocommit
 * statement instead of BEGIN, the charge, the notification, its NOTIFY and
 * COMMIT; and no charge transaction NOTIFYs any more (PostgreSQL runs the
 * commits of NOTIFYing transactions one after another, each through its WAL
 * flush): ChargesService wakes the owner's live streams after the commit
 * (NotificationsService.announce, coalesced). Rules and refusals unchanged
 * (see 1764700500100). Also cheaper on the server: no subsidy-lot query when
 * no subsidy is spent, the entry's three arrays built in one query.
 */
export class CampusChargeNotifies1764800500200 implements MigrationInterface {
  name = 'CampusChargeNotifies1764800500200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION campus.pos_charge(
        p_id uuid, p_card_ref text, p_university_id uuid, p_merchant_id uuid, p_receivable uuid, p_device_id uuid,
        p_amount bigint, p_jti text, p_charged_at timestamptz, p_description text, p_offline boolean, p_pin_checked boolean
      ) RETURNS TABLE (card_id uuid, user_id uuid, currency text, subsidy_amount bigint, balance_after bigint, subsidy_balance_after bigint)
      LANGUAGE plpgsql SET search_path = campus AS $$
      #variable_conflict use_column
      DECLARE
        v_card cards%ROWTYPE;
        v_active boolean;
        v_status text;
        v_currency text;
        v_subsidy bigint;
        v_cash bigint;
        v_left bigint;
        v_part bigint;
        v_lot record;
        v_cash_after bigint;
        v_subsidy_after bigint;
        v_posted record;
        v_accounts uuid[];
        v_currencies text[];
        v_amounts bigint[];
      BEGIN
        SELECT c.* INTO v_card FROM cards c WHERE c.ref = p_card_ref FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'INVALID_CODE' USING ERRCODE = 'CP422';
        END IF;
        IF v_card.university_id <> p_university_id THEN
          RAISE EXCEPTION 'WRONG_UNIVERSITY' USING ERRCODE = 'CP422';
        END IF;
        IF p_offline THEN
          SELECT e.status INTO v_status FROM card_status_events e
           WHERE e.card_id = v_card.id AND e.at <= p_charged_at ORDER BY e.at DESC, e.id DESC LIMIT 1;
        ELSE
          v_status := v_card.status;
        END IF;
        IF v_status = 'FROZEN' THEN
          RAISE EXCEPTION 'CARD_FROZEN' USING ERRCODE = 'CP422';
        END IF;
        SELECT m.active INTO v_active FROM members m WHERE m.university_id = v_card.university_id AND m.member_no = v_card.member_no;
        IF NOT v_active THEN
          RAISE EXCEPTION 'MEMBER_INACTIVE' USING ERRCODE = 'CP422';
        END IF;
        IF NOT p_offline AND p_amount > v_card.password_free_limit AND NOT p_pin_checked THEN
          RAISE EXCEPTION 'PIN_REQUIRED' USING ERRCODE = 'CP422';
        END IF;
        INSERT INTO used_codes (jti, card_id) VALUES (p_jti, v_card.id) ON CONFLICT (jti) DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'CODE_ALREADY_USED' USING ERRCODE = 'CP422';
        END IF;
        INSERT INTO card_days AS d (card_id, day, spent)
          SELECT v_card.id, (p_charged_at AT TIME ZONE 'Asia/Shanghai')::date, p_amount WHERE p_amount <= v_card.daily_limit
        ON CONFLICT ON CONSTRAINT card_days_pkey DO UPDATE SET spent = d.spent + EXCLUDED.spent WHERE d.spent + EXCLUDED.spent <= v_card.daily_limit;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'DAILY_LIMIT_EXCEEDED' USING ERRCODE = 'CP422';
        END IF;

        -- the subsidy purse first (its ledger balance), then cash
        v_currency := trim(v_card.currency);
        v_subsidy_after := ledger.ledger_balance(v_card.subsidy_account_id);
        v_subsidy := LEAST(GREATEST(v_subsidy_after, 0), p_amount);
        v_subsidy_after := v_subsidy_after - v_subsidy;
        v_cash := p_amount - v_subsidy;
        INSERT INTO charges (id, card_id, merchant_id, device_id, amount, subsidy_amount, cash_amount, currency, description, mode, code_jti, charged_at)
        VALUES (p_id, v_card.id, p_merchant_id, p_device_id, p_amount, v_subsidy, v_cash, v_currency, p_description,
                CASE WHEN p_offline THEN 'OFFLINE' ELSE 'ONLINE' END, p_jti, p_charged_at);
        -- from the subsidies that expire first
        v_left := v_subsidy;
        IF v_left > 0 THEN
          FOR v_lot IN
            SELECT l.id, l.remaining FROM subsidy_lots l WHERE l.card_id = v_card.id AND l.remaining > 0
             ORDER BY l.expires_at ASC NULLS LAST, l.created_at, l.id FOR UPDATE
          LOOP
            EXIT WHEN v_left = 0;
            v_part := LEAST(v_lot.remaining, v_left);
            UPDATE subsidy_lots SET remaining = remaining - v_part WHERE id = v_lot.id;
            INSERT INTO charge_lot_uses (charge_id, lot_id, amount) VALUES (p_id, v_lot.id, v_part);
            v_left := v_left - v_part;
          END LOOP;
        END IF;
        IF v_left <> 0 THEN
          RAISE EXCEPTION 'card %: subsidy lots hold less than the subsidy purse', v_card.id;
        END IF;

        -- one balanced entry, postings in account id order (the ledger's lock order)
        SELECT array_agg(a ORDER BY a), array_agg(v_currency ORDER BY a), array_agg(n ORDER BY a) INTO v_accounts, v_currencies, v_amounts
          FROM unnest(ARRAY[p_receivable, v_card.subsidy_account_id, v_card.cash_account_id], ARRAY[p_amount, -v_subsidy, -v_cash]) AS t(a, n) WHERE n <> 0;
        IF p_offline THEN
          PERFORM set_config('ledger.use_floor', 'on', true);
        END IF;
        v_cash_after := NULL;
        FOR v_posted IN
          SELECT x.account_id, x.balance_after FROM ledger.ledger_post(
            'campus:charge:' || p_id, 'CAMPUS_CHARGE', COALESCE(p_description, 'Campus card charge'),
            jsonb_build_object('cardId', v_card.id, 'chargeId', p_id, 'merchantId', p_merchant_id, 'mode', CASE WHEN p_offline THEN 'OFFLINE' ELSE 'ONLINE' END),
            NULL,
            v_accounts, v_currencies, v_amounts
          ) x
        LOOP
          IF v_posted.account_id = v_card.cash_account_id THEN
            v_cash_after := v_posted.balance_after;
          END IF;
        END LOOP;
        IF p_offline THEN
          PERFORM set_config('ledger.use_floor', 'off', true);
        END IF;
        IF v_cash_after IS NULL THEN
          v_cash_after := ledger.ledger_balance(v_card.cash_account_id);
        END IF;

        INSERT INTO card_movements (card_id, kind, amount, subsidy_amount, balance_after, subsidy_balance_after, ref_id, description)
        VALUES (v_card.id, 'CHARGE', -p_amount, -v_subsidy, v_cash_after + v_subsidy_after, v_subsidy_after, p_id,
                COALESCE(p_description, CASE WHEN p_offline THEN 'Campus charge (offline POS)' ELSE 'Campus charge' END));

        -- the owner hears of it if and only if this charge commits (the caller wakes the live streams after
        -- the commit: notifications.enqueue() sends no NOTIFY, whose lock would serialise the commits)
        PERFORM notifications.enqueue(v_card.user_id, 'CARD_CHARGED', p_id::text, jsonb_build_object(
          'chargeId', p_id, 'amount', jsonb_build_object('amount', p_amount, 'currency', v_currency), 'cardId', v_card.id,
          'merchantId', p_merchant_id, 'mode', CASE WHEN p_offline THEN 'OFFLINE' ELSE 'ONLINE' END));

        card_id := v_card.id; user_id := v_card.user_id; currency := v_currency; subsidy_amount := v_subsidy;
        balance_after := v_cash_after + v_subsidy_after; subsidy_balance_after := v_subsidy_after;
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION campus.pos_charge(uuid, text, uuid, uuid, uuid, uuid, bigint, text, timestamptz, text, boolean, boolean)`);
    await new CampusChargeFunction1764700500100().up(q);
  }
}
