import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Many journal entries in one statement (one round trip), each posted by
 * ledger_post() as is, for batches such as bus taps where one rider's empty
 * wallet must not fail the other riders' charges. Before posting an entry,
 * the accounts it debits that may not go negative are locked and checked:
 * an entry they cannot pay is skipped and answered refused, the others are
 * posted (no subtransaction per entry: hundreds of them in one transaction
 * would overflow the subtransaction cache and slow every other session).
 * An entry already posted under its reference is answered duplicate as
 * ledger_post() does. Entries are given flattened: the postings of entry i
 * are the next p_counts[i] of the arrays.
 */
export class LedgerPostMany1764600000200 implements MigrationInterface {
  name = 'LedgerPostMany1764600000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger.ledger_post_many(
        p_references text[], p_kinds text[], p_descriptions text[], p_metadata jsonb[],
        p_counts int[], p_accounts uuid[], p_currencies text[], p_amounts bigint[]
      ) RETURNS TABLE (idx int, entry_id uuid, duplicate boolean, refused text)
      LANGUAGE plpgsql SET search_path = ledger AS $$
      DECLARE
        v_from int := 1;
        v_to int;
        v_ok boolean;
        v_account ledger_accounts%ROWTYPE;
        v_available bigint;
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_references, 1), 0) LOOP
          v_to := v_from + p_counts[i] - 1;
          v_ok := true;
          IF NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.reference = p_references[i]) THEN
            FOR j IN v_from .. v_to LOOP
              CONTINUE WHEN p_amounts[j] >= 0;
              SELECT * INTO v_account FROM ledger_accounts WHERE id = p_accounts[j] FOR NO KEY UPDATE;
              CONTINUE WHEN NOT FOUND OR v_account.allow_negative;
              -- a new statement after the lock: sees a roll-up that committed meanwhile as a whole
              SELECT a.balance + CASE WHEN a.hot THEN COALESCE((SELECT sum(h.amount) FROM hot_account_credits h WHERE h.account_id = a.id), 0) ELSE 0 END
                INTO v_available FROM ledger_accounts a WHERE a.id = p_accounts[j];
              IF v_available + p_amounts[j] < 0 THEN
                v_ok := false;
              END IF;
            END LOOP;
          END IF;
          idx := i;
          IF v_ok THEN
            SELECT x.entry_id, x.duplicate INTO entry_id, duplicate
              FROM ledger_post(p_references[i], p_kinds[i], p_descriptions[i], p_metadata[i], NULL,
                               p_accounts[v_from:v_to], p_currencies[v_from:v_to], p_amounts[v_from:v_to]) x LIMIT 1;
            refused := NULL;
          ELSE
            entry_id := NULL; duplicate := false; refused := 'INSUFFICIENT_FUNDS';
          END IF;
          v_from := v_to + 1;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger.ledger_post_many(text[], text[], text[], jsonb[], int[], uuid[], text[], bigint[])`);
  }
}
