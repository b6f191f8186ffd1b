import type { MigrationInterface, QueryRunner } from 'typeorm';
import { functionDefinition, rewriteDefinition } from '@app/database';

const OLD = 'billing.pay_from_wallet_batch(uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], integer[])';
const NEW = 'billing.pay_from_wallet_batch(uuid[], uuid[], uuid[], bigint[], text[], text[], uuid[], integer[], bytea[])';

/**
 * billing.pay_from_wallet_batch() claims the idempotency keys of the
 * payments that come with their request's hash (`p_idem_hash`, NULL for a
 * payment whose key the API claimed before): by
 * common.idempotency_claim_fresh(), in the statement that pays and stores
 * the responses. A wallet payment was two group commits, the claims' and the
 * payments', each a statement and a WAL flush that every request waited
 * for in turn; now one. The set attempt claims the batch's keys before it
 * locks a bill; one payment on its own claims its key in its subtransaction
 * before it pays. A key already there raises IK100 (the set falls back to
 * one by one; a payment alone is answered IK100, paying nothing), and the
 * API claims it the ordinary way, which replays, refuses a reuse, waits
 * for a running request or takes an expired key over.
 */
const EDITS: [string, string][] = [
  ['p_idem_status integer[])', 'p_idem_status integer[], p_idem_hash bytea[])'],
  ['OR cardinality(p_idem_status) <> v_n THEN', 'OR cardinality(p_idem_status) <> v_n OR cardinality(p_idem_hash) <> v_n THEN'],
  [
    'PERFORM 1 FROM billing.bills b WHERE b.id = ANY (p_bill) ORDER BY b.id FOR UPDATE;',
    `PERFORM common.idempotency_claim_fresh(p_idem_scope, p_idem_key, p_idem_hash, p_idem_claim);
            PERFORM 1 FROM billing.bills b WHERE b.id = ANY (p_bill) ORDER BY b.id FOR UPDATE;`,
  ],
  [
    'SELECT r.response INTO STRICT response',
    `IF p_idem_hash[i] IS NOT NULL THEN
              PERFORM common.idempotency_claim_fresh(ARRAY[p_idem_scope[i]], ARRAY[p_idem_key[i]], ARRAY[p_idem_hash[i]], ARRAY[p_idem_claim[i]]);
            END IF;
            SELECT r.response INTO STRICT response`,
  ],
];

/**
 * The old signature stays, as the new function with no key to claim: an API
 * process of the release before (a rolling deploy runs both for a while)
 * still pays, its keys claimed the ordinary way.
 */
const OLD_CALLERS = `
  CREATE FUNCTION billing.pay_from_wallet_batch(
    p_payment uuid[], p_bill uuid[], p_payer uuid[], p_requested bigint[],
    p_idem_scope text[], p_idem_key text[], p_idem_claim uuid[], p_idem_status integer[]
  ) RETURNS TABLE (ord integer, response jsonb, error_state text, error_message text, error_detail text, path text, set_error text)
  LANGUAGE sql AS $$
    SELECT * FROM billing.pay_from_wallet_batch(p_payment, p_bill, p_payer, p_requested, p_idem_scope, p_idem_key, p_idem_claim, p_idem_status,
                                                array_fill(NULL::bytea, ARRAY[cardinality(p_payment)]))
  $$`;

export class PayFromWalletClaimsKeys1764900700400 implements MigrationInterface {
  name = 'PayFromWalletClaimsKeys1764900700400';

  async up(q: QueryRunner): Promise<void> {
    const def = rewriteDefinition('billing.pay_from_wallet_batch()', await functionDefinition(q, OLD), ...EDITS);
    await q.query(`DROP FUNCTION ${OLD}`);
    await q.query(def);
    await q.query(OLD_CALLERS);
  }

  async down(q: QueryRunner): Promise<void> {
    const reverse = EDITS.map(([from, to]) => [to, from] as [string, string]).reverse();
    const def = rewriteDefinition('billing.pay_from_wallet_batch()', await functionDefinition(q, NEW), ...reverse);
    await q.query(`DROP FUNCTION ${OLD}`);
    await q.query(`DROP FUNCTION ${NEW}`);
    await q.query(def);
  }
}
