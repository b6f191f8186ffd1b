import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `common.idempotency_claim_fresh(scopes, keys, hashes, claims)`: claims, in
 * the caller's transaction, the keys no request has used yet (those given a
 * hash; a NULL hash skips its entry), for a use case that claims its key in
 * the statement that does its work (issue 16: a wallet bill payment was one
 * statement and commit for the claim, then one for the payment; see
 * `@Idempotent({ claimInStatement })`). The rows are IN_PROGRESS only inside
 * that transaction: the caller completes them there
 * (`common.idempotency_record()`, or its set-wise UPDATE), so a committed key
 * always carries its response, and a rolled-back statement leaves no key.
 *
 * A key already there (a replay, a reuse with another request, a running or
 * expired claim) is not this function's business: it raises SQLSTATE IK100,
 * undoing the caller's statement, and the API claims that key the ordinary
 * way (common.idempotency_claim_batch), whose rules know each case. A
 * concurrent claim of the same key waits for this transaction, as any
 * INSERT on a unique key does, then finds it COMPLETED.
 */
export class IdempotencyClaimFresh1764900700300 implements MigrationInterface {
  name = 'IdempotencyClaimFresh1764900700300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION common.idempotency_claim_fresh(p_scope text[], p_key text[], p_request_hash bytea[], p_claim uuid[])
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_wanted integer;
        v_claimed integer;
      BEGIN
        SELECT count(h)::int INTO v_wanted FROM unnest(p_request_hash) h;
        IF v_wanted = 0 THEN
          RETURN;
        END IF;
        -- locked_until: CLAIM_SECONDS of the API, for the rows' CHECKs; nobody outside this
        -- transaction sees them IN_PROGRESS
        -- in the order given: the caller's lock order, the order in which a statement that claims
        -- its keys one by one (each before its own work) takes them
        INSERT INTO common.idempotency_keys AS k (scope, key, request_hash, claim, status, locked_until)
        SELECT x.scope, x.key, x.hash, x.claim, 'IN_PROGRESS', now() + interval '60 seconds'
          FROM unnest(p_scope, p_key, p_request_hash, p_claim) WITH ORDINALITY x(scope, key, hash, claim, i)
         WHERE x.hash IS NOT NULL
         ORDER BY x.i
        ON CONFLICT (scope, key) DO NOTHING;
        GET DIAGNOSTICS v_claimed = ROW_COUNT;
        IF v_claimed <> v_wanted THEN
          RAISE EXCEPTION 'IDEMPOTENCY_KEY_EXISTS' USING ERRCODE = 'IK100';
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION common.idempotency_claim_fresh(text[], text[], bytea[], uuid[])`);
  }
}
