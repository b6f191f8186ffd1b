import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ledger_balance(account) in PL/pgSQL, same answer. As a SQL function with a
 * SET clause it cannot be inlined, and a PL/pgSQL caller (campus.pos_charge()
 * reads the subsidy purse with it on every charge) builds its execution
 * state, parsing and planning its query, once per transaction; in PL/pgSQL
 * the query's plan is cached for the session. Measured with pgbench on
 * campus.pos_charge() together with that function's own changes: about 20%
 * more charges per second on the database side.
 */
export class LedgerBalancePlpgsql1764800500150 implements MigrationInterface {
  name = 'LedgerBalancePlpgsql1764800500150';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION ledger.ledger_balance(p_account uuid) RETURNS bigint
      LANGUAGE plpgsql STABLE SET search_path = ledger AS $$
      DECLARE
        v_balance bigint;
      BEGIN
        SELECT a.balance + CASE WHEN a.hot THEN COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0) ELSE 0 END
          INTO v_balance
          FROM ledger_accounts a WHERE a.id = p_account;
        RETURN v_balance;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION ledger.ledger_balance(p_account uuid) RETURNS bigint
      LANGUAGE sql STABLE SET search_path = ledger AS $$
        SELECT a.balance + CASE WHEN a.hot THEN COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0) ELSE 0 END
          FROM ledger_accounts a WHERE a.id = p_account
      $$`);
  }
}
