import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a claim does with a key already there: takes it over when its row
 * expired, or when its IN_PROGRESS claim for the same request lost its
 * owner (lock expired, or backend gone: re-checked under the row lock);
 * else nothing. Shared by common.idempotency_claim() and the set-wise
 * common.idempotency_claim_batch().
 */
export const CLAIM_TAKEOVER = `ON CONFLICT (scope, key) DO UPDATE SET
          request_hash = EXCLUDED.request_hash, claim = EXCLUDED.claim, status = 'IN_PROGRESS',
          response_status = NULL, response_body = NULL, locked_until = EXCLUDED.locked_until,
          owner_pid = EXCLUDED.owner_pid, owner_started = EXCLUDED.owner_started,
          created_at = now(), completed_at = NULL
        WHERE k.created_at < now() - make_interval(hours => p_ttl_hours)
           OR (k.status = 'IN_PROGRESS' AND k.request_hash = EXCLUDED.request_hash AND (
                 k.locked_until < now()
                 OR (k.owner_pid IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM pg_stat_activity a WHERE a.pid = k.owner_pid AND a.backend_start = k.owner_started))))`;

/**
 * `common.idempotency_claim(scope, key, hash, claim, owner pid, owner start,
 * claim seconds, ttl hours)`: the claim of IdempotencyRepository.claim() as
 * a PL/pgSQL function, the same conditional upsert, answering the claim that
 * holds the key afterwards (NULL when another request's claim still does).
 *
 * Why a function: sent as a statement, the upsert was parsed, rewritten and
 * planned on every idempotent request, and its `pg_stat_activity` subquery
 * made that the most expensive part of a wallet payment on the PostgreSQL
 * side (expanding the view's rule and its function's 30-odd result columns
 * each time): about 0.9 ms of the 2.9 ms of backend CPU per payment. In a
 * PL/pgSQL function the plan is made once per session and reused.
 */
export class IdempotencyClaimFunction1764900100000 implements MigrationInterface {
  name = 'IdempotencyClaimFunction1764900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION common.idempotency_claim(
        p_scope text, p_key text, p_request_hash bytea, p_claim uuid,
        p_owner_pid integer, p_owner_started timestamptz, p_claim_seconds integer, p_ttl_hours integer
      ) RETURNS uuid LANGUAGE plpgsql AS $$
      DECLARE
        v_claim uuid;
      BEGIN
        -- a new key; or a key whose row expired, or whose IN_PROGRESS claim for the same
        -- request lost its owner (lock expired, or backend gone: re-checked under the row lock)
        INSERT INTO common.idempotency_keys AS k (scope, key, request_hash, claim, status, locked_until, owner_pid, owner_started)
        VALUES (p_scope, p_key, p_request_hash, p_claim, 'IN_PROGRESS', now() + make_interval(secs => p_claim_seconds), p_owner_pid, p_owner_started)
        ${CLAIM_TAKEOVER}
        RETURNING k.claim INTO v_claim;
        RETURN v_claim;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION common.idempotency_claim(text, text, bytea, uuid, integer, timestamptz, integer, integer)`);
  }
}
