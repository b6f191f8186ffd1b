import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The signature and result of common.idempotency_claim_batch(). */
export const CLAIM_BATCH_SIGNATURE = `common.idempotency_claim_batch(
        p_scope text[], p_key text[], p_request_hash bytea[], p_claim uuid[],
        p_owner_pid integer[], p_owner_started timestamptz[], p_claim_seconds integer, p_ttl_hours integer
      ) RETURNS TABLE (ord integer, claim uuid)`;

export const CLAIM_BATCH_LENGTHS = `IF cardinality(p_key) <> v_n OR cardinality(p_request_hash) <> v_n OR cardinality(p_claim) <> v_n
           OR cardinality(p_owner_pid) <> v_n OR cardinality(p_owner_started) <> v_n THEN
          RAISE EXCEPTION 'idempotency_claim_batch: arrays of different lengths';
        END IF;`;

/** Each claim in turn, as common.idempotency_claim() on its own. */
export const CLAIM_BATCH_LOOP = `FOR i IN 1 .. v_n LOOP
          ord := i;
          claim := common.idempotency_claim(p_scope[i], p_key[i], p_request_hash[i], p_claim[i], p_owner_pid[i], p_owner_started[i],
                                            p_claim_seconds, p_ttl_hours);
          RETURN NEXT;
        END LOOP;`;

/** common.idempotency_claim_batch() as this migration creates it: each claim in turn. */
export const claimBatchLoopFunction = (verb: 'CREATE' | 'CREATE OR REPLACE'): string => `${verb} FUNCTION ${CLAIM_BATCH_SIGNATURE} LANGUAGE plpgsql AS $$
      DECLARE
        v_n integer := cardinality(p_scope);
      BEGIN
        ${CLAIM_BATCH_LENGTHS}
        ${CLAIM_BATCH_LOOP}
      END $$`;

/**
 * `common.idempotency_claim_batch(...)`: the claims of several requests in
 * one statement and one transaction (IdempotencyRepository's group commit),
 * each exactly `common.idempotency_claim()` (migration 1764900100000), in
 * the order given (the API sends them by scope and key, the rows' lock
 * order); answers each claim that holds its key afterwards. A claim has no
 * refusal of its own (NULL is "another request holds the key"), so there is
 * no subtransaction per claim: an error of the statement is every claim's,
 * and each request retries or fails as its claim statement alone would have.
 * Two claims of one key in one batch: the first inserts, the second finds
 * it held (NULL), as two statements one after the other would.
 */
export class IdempotencyClaimBatch1764900600200 implements MigrationInterface {
  name = 'IdempotencyClaimBatch1764900600200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(claimBatchLoopFunction('CREATE'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION common.idempotency_claim_batch(text[], text[], bytea[], uuid[], integer[], timestamptz[], integer, integer)`);
  }
}
