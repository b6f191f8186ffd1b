import type { MigrationInterface, QueryRunner } from 'typeorm';
import { claimBatchLoopFunction, CLAIM_BATCH_LENGTHS, CLAIM_BATCH_LOOP, CLAIM_BATCH_SIGNATURE } from './claim-batch-migration.js';
import { CLAIM_TAKEOVER } from './claim-function-migration.js';

/**
 * `common.idempotency_claim_batch()` set-wise: the claims of a batch were each
 * a call of `common.idempotency_claim()`, a statement each (its executor
 * start, its CHECK expressions built again); now, when the batch's keys are
 * all different (always, but for a client sending one key twice at once),
 * one INSERT ... ON CONFLICT DO UPDATE takes them all, with the same takeover
 * rule, in the order given (the API sends them by scope and key: the rows'
 * lock order), and answers the claims that hold their keys. With a key twice
 * in the batch (one INSERT cannot touch a row twice), each claim in turn as
 * before: the first takes the key, the second finds it held.
 */
export class IdempotencyClaimSetWise1764900700200 implements MigrationInterface {
  name = 'IdempotencyClaimSetWise1764900700200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION ${CLAIM_BATCH_SIGNATURE} LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        v_n integer := cardinality(p_scope);
      BEGIN
        ${CLAIM_BATCH_LENGTHS}
        IF (SELECT count(DISTINCT (x.scope, x.key)) FROM unnest(p_scope, p_key) x(scope, key)) = v_n THEN
          RETURN QUERY
            WITH taken AS (
              INSERT INTO common.idempotency_keys AS k (scope, key, request_hash, claim, status, locked_until, owner_pid, owner_started)
              SELECT x.scope, x.key, x.hash, x.claim, 'IN_PROGRESS', now() + make_interval(secs => p_claim_seconds), x.pid, x.started
                FROM unnest(p_scope, p_key, p_request_hash, p_claim, p_owner_pid, p_owner_started) WITH ORDINALITY x(scope, key, hash, claim, pid, started, i)
               ORDER BY x.i
              ${CLAIM_TAKEOVER}
              RETURNING k.scope, k.key, k.claim)
            SELECT x.i::integer, t.claim
              FROM unnest(p_scope, p_key) WITH ORDINALITY x(scope, key, i)
              LEFT JOIN taken t ON t.scope = x.scope AND t.key = x.key
             ORDER BY x.i;
          RETURN;
        END IF;
        ${CLAIM_BATCH_LOOP}
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(claimBatchLoopFunction('CREATE OR REPLACE'));
  }
}
