import type { MigrationInterface, QueryRunner } from 'typeorm';
import { functionDefinition, rewriteDefinition } from '@app/database';

const POST = `ledger.ledger_post(text, text, text, jsonb, uuid, uuid[], text[], bigint[])`;
const OLD = `AND (allow_negative OR balance + p_amounts[i] >= 0)`;
const NEW = `AND (allow_negative OR p_amounts[i] > 0 OR balance + p_amounts[i] >= CASE WHEN current_setting('ledger.use_floor', true) = 'on' THEN -floor ELSE 0 END)`;

/**
 * A per-account floor: an account that may not go negative may go down to
 * `-floor` (default 0, the old rule), and only when the posting transaction
 * asks for it (`ledger.use_floor`, set by LedgerService.post with
 * `{useFloor: true}`); other debits still stop at zero. Campus cards use it
 * for offline POS charges (down to -offlineLimit). A credit is never refused
 * (it repays a balance below zero). Additive: one column, the CHECK widened
 * by the floor, and one condition of ledger_post() rewritten in place.
 */
export class LedgerFloor1764500000600 implements MigrationInterface {
  name = 'LedgerFloor1764500000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger.ledger_accounts ADD COLUMN floor bigint NOT NULL DEFAULT 0 CHECK (floor >= 0)`);
    await q.query(`ALTER TABLE ledger.ledger_accounts DROP CONSTRAINT ledger_accounts_non_negative`);
    await q.query(`ALTER TABLE ledger.ledger_accounts ADD CONSTRAINT ledger_accounts_non_negative CHECK (allow_negative OR hot OR balance >= -floor)`);
    await this.rewrite(q, OLD, NEW);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.rewrite(q, NEW, OLD);
    await q.query(`ALTER TABLE ledger.ledger_accounts DROP CONSTRAINT ledger_accounts_non_negative`);
    await q.query(`ALTER TABLE ledger.ledger_accounts ADD CONSTRAINT ledger_accounts_non_negative CHECK (allow_negative OR hot OR balance >= 0)`);
    await q.query(`ALTER TABLE ledger.ledger_accounts DROP COLUMN floor`);
  }

  private async rewrite(q: QueryRunner, from: string, to: string): Promise<void> {
    await q.query(rewriteDefinition('ledger_post()', await functionDefinition(q, POST), [from, to]));
  }
}
