import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Many journal entries in one statement (one round trip), each posted by
 * ledger_post() as is; an entry refused for insufficient funds (LD402) is
 * rolled back alone (a subtransaction) and reported, the others stand. For
 * batches such as bus taps, where a rider's empty wallet must not fail the
 * other riders' charges. Entries are given flattened: postings carry the
 * postings of entry i are the next p_counts[i] of the arrays.
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
        v_entry uuid;
        v_duplicate boolean;
        v_from int := 1;
        v_to int;
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_references, 1), 0) LOOP
          v_to := v_from + p_counts[i] - 1;
          BEGIN
            SELECT x.entry_id, x.duplicate INTO v_entry, v_duplicate
              FROM ledger.ledger_post(
                p_references[i], p_kinds[i], p_descriptions[i], p_metadata[i], NULL,
                p_accounts[v_from:v_to], p_currencies[v_from:v_to], p_amounts[v_from:v_to]
              ) x LIMIT 1;
            idx := i; entry_id := v_entry; duplicate := v_duplicate; refused := NULL;
          EXCEPTION WHEN SQLSTATE 'LD402' THEN
            idx := i; entry_id := NULL; duplicate := false; refused := 'INSUFFICIENT_FUNDS';
          END;
          v_from := v_to + 1;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger.ledger_post_many(text[], text[], text[], jsonb[], int[], uuid[], text[], bigint[])`);
  }
}
