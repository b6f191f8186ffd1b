import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ledger.ledger_account(owner_type, owner_id, purpose, currency, hot)`: the
 * id of an owner's account, created on first need, as LedgerService.account()
 * does; ledger's SQL API (with ledger_post) for a context that moves money in
 * one statement of its own (billing's pay_from_wallet) without naming
 * ledger's tables.
 */
export class LedgerAccountFunction1764700100000 implements MigrationInterface {
  name = 'LedgerAccountFunction1764700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger.ledger_account(p_owner_type text, p_owner_id text, p_purpose text, p_currency text, p_hot boolean)
      RETURNS uuid LANGUAGE plpgsql AS $$
      DECLARE
        v_id uuid;
      BEGIN
        SELECT id INTO v_id FROM ledger.ledger_accounts
         WHERE owner_type = p_owner_type AND owner_id = p_owner_id AND purpose = p_purpose AND currency = p_currency;
        IF v_id IS NULL THEN
          INSERT INTO ledger.ledger_accounts (owner_type, owner_id, purpose, currency, hot)
          VALUES (p_owner_type, p_owner_id, p_purpose, p_currency, p_hot)
          ON CONFLICT (owner_type, owner_id, purpose, currency) DO NOTHING
          RETURNING id INTO v_id;
        END IF;
        IF v_id IS NULL THEN
          -- created meanwhile by another transaction
          SELECT id INTO v_id FROM ledger.ledger_accounts
           WHERE owner_type = p_owner_type AND owner_id = p_owner_id AND purpose = p_purpose AND currency = p_currency;
        END IF;
        RETURN v_id;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger.ledger_account(text, text, text, text, boolean)`);
  }
}
