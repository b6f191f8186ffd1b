import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two more functions of the ledger's SQL interface (beside ledger_post and
 * ledger_post_many), for contexts whose use case runs as one SQL function of
 * their own schema and so cannot call LedgerService in between:
 * - ledger_balance(account): the exact balance (stored plus queued credits
 *   of a hot account), as LedgerService.balance answers it;
 * - ledger_set_floor(account, floor): changes how far below zero a posting
 *   with `ledger.use_floor` may take the account (campus: a card's
 *   offlineLimit), under the account's row lock; false (nothing changed)
 *   when the balance is already below the new floor. Only for accounts that
 *   may not go negative and are not hot (the CHECK does not cover them).
 */
export class LedgerFloorApi1764700500000 implements MigrationInterface {
  name = 'LedgerFloorApi1764700500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger.ledger_balance(p_account uuid) RETURNS bigint
      LANGUAGE sql STABLE SET search_path = ledger AS $$
        SELECT a.balance + CASE WHEN a.hot THEN COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0) ELSE 0 END
          FROM ledger_accounts a WHERE a.id = p_account
      $$`);
    await q.query(`
      CREATE FUNCTION ledger.ledger_set_floor(p_account uuid, p_floor bigint) RETURNS boolean
      LANGUAGE plpgsql SET search_path = ledger AS $$
      DECLARE
        v_account ledger_accounts%ROWTYPE;
      BEGIN
        IF p_floor IS NULL OR p_floor < 0 THEN
          RAISE EXCEPTION 'a floor is a bigint >= 0, not %', p_floor USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO v_account FROM ledger_accounts WHERE id = p_account FOR NO KEY UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'no ledger account %', p_account;
        END IF;
        IF v_account.allow_negative OR v_account.hot THEN
          RAISE EXCEPTION 'account % has no floor (it may go negative or is hot)', p_account USING ERRCODE = 'check_violation';
        END IF;
        IF v_account.balance < -p_floor THEN
          RETURN false;
        END IF;
        UPDATE ledger_accounts SET floor = p_floor WHERE id = p_account;
        RETURN true;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger.ledger_set_floor(uuid, bigint)`);
    await q.query(`DROP FUNCTION IF EXISTS ledger.ledger_balance(uuid)`);
  }
}
