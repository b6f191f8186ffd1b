import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `common.idempotency_record(scope, key, claim, status, body)`: stores an
 * idempotent request's response, as IdempotencyRepository.complete() does,
 * for a use case whose one SQL statement does all its work (issue 16:
 * billing.pay_from_wallet stores the payment's response in the statement
 * that moves the money, so a payment needs no BEGIN, no separate completion
 * and no COMMIT round trip). Raises SQLSTATE IK409 when the claim no longer
 * holds the key (another request took it over), which rolls the statement
 * back: an effect never commits without its response, nor twice.
 */
export class IdempotencyRecordFunction1764800200000 implements MigrationInterface {
  name = 'IdempotencyRecordFunction1764800200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION common.idempotency_record(p_scope text, p_key text, p_claim uuid, p_status integer, p_body jsonb)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE common.idempotency_keys SET status = 'COMPLETED', response_status = p_status, response_body = p_body::json, completed_at = now()
         WHERE scope = p_scope AND key = p_key AND claim = p_claim AND status = 'IN_PROGRESS';
        IF NOT FOUND THEN
          RAISE EXCEPTION 'IDEMPOTENCY_CLAIM_LOST' USING ERRCODE = 'IK409';
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION common.idempotency_record(text, text, uuid, integer, jsonb)`);
  }
}
