import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The campus context's schema: universities and campus merchants (a
 * merchant's university and category), keyed by organisation id, filled from
 * the columns identity's organisations carried until now (identity drops
 * them in a later migration).
 */
export class Campus1764500000500 implements MigrationInterface {
  name = 'Campus1764500000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS campus`);
    await q.query(`
      CREATE TABLE campus.universities (
        organization_id uuid PRIMARY KEY REFERENCES identity.organizations (id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE campus.merchants (
        organization_id uuid PRIMARY KEY REFERENCES identity.organizations (id),
        university_id uuid REFERENCES campus.universities (organization_id),
        category text NOT NULL DEFAULT 'OTHER' CHECK (category IN ('CANTEEN', 'SHOP', 'LAUNDRY', 'PRINTING', 'LIBRARY', 'OTHER')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX merchants_university ON campus.merchants (university_id)`);
    await q.query(`
      INSERT INTO campus.universities (organization_id, created_at)
      SELECT id, created_at FROM identity.organizations WHERE kind = 'UNIVERSITY'`);
    await q.query(`
      INSERT INTO campus.merchants (organization_id, university_id, category, created_at)
      SELECT id, university_id, COALESCE(merchant_category, 'OTHER'), created_at FROM identity.organizations WHERE kind = 'MERCHANT'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA campus CASCADE`);
  }
}
