import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveToPublic, moveToSchema, type SchemaObjects } from '@app/database';

const OBJECTS: SchemaObjects = {
  tables: ['bills', 'bill_payments', 'biller_accounts', 'autopay_attempts', 'biller_webhooks', 'webhook_deliveries'],
  sequences: ['bill_receipt_numbers'],
};

/**
 * Billing's tables move from `public` into the `billing` schema, rows and
 * all; and billing gets its own billers table (category and amount rules),
 * keyed by organisation id, filled from the columns identity's organisations
 * carried until now (identity drops them in a later migration).
 */
export class BillingSchema1764500000400 implements MigrationInterface {
  name = 'BillingSchema1764500000400';

  async up(q: QueryRunner): Promise<void> {
    await moveToSchema(q, 'billing', OBJECTS);
    await q.query(`
      CREATE TABLE billing.billers (
        organization_id uuid PRIMARY KEY REFERENCES identity.organizations (id),
        category text NOT NULL CHECK (category IN ('ELECTRICITY', 'WATER', 'GAS', 'HEATING', 'CABLE_TV', 'BROADBAND')),
        allows_partial boolean NOT NULL DEFAULT false,
        allows_advance boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX billers_category ON billing.billers (category)`);
    await q.query(`
      INSERT INTO billing.billers (organization_id, category, allows_partial, allows_advance, created_at)
      SELECT id, biller_category, biller_allows_partial, biller_allows_advance, created_at
        FROM identity.organizations WHERE kind = 'BILLER'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE billing.billers`);
    await moveToPublic(q, 'billing', OBJECTS);
  }
}
