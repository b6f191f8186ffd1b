import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveToPublic, moveToSchema, type SchemaObjects } from '@app/database';

const POST = 'ledger_post(text, text, text, jsonb, uuid, uuid[], text[], bigint[])';
const OBJECTS: SchemaObjects = {
  tables: ['ledger_accounts', 'journal_entries', 'postings', 'hot_account_credits'],
  functions: ['ledger_append_only()', 'ledger_entry_balanced()', 'ledger_hot_non_negative()', POST],
  // their bodies name the ledger's tables unqualified
  pinSearchPath: ['ledger_entry_balanced()', 'ledger_hot_non_negative()', POST],
};

/** The ledger's tables and functions move from `public` into the `ledger` schema, rows and all. */
export class LedgerSchema1764500000200 implements MigrationInterface {
  name = 'LedgerSchema1764500000200';

  async up(q: QueryRunner): Promise<void> {
    await moveToSchema(q, 'ledger', OBJECTS);
  }

  async down(q: QueryRunner): Promise<void> {
    await moveToPublic(q, 'ledger', OBJECTS);
  }
}
