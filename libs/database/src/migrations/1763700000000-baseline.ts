import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Baseline shared by every context: the `set_updated_at()` trigger function
 * that tables with an `updated_at` column attach, and the `pgcrypto`
 * extension (digests and random bytes in SQL).
 */
export class Baseline1763700000000 implements MigrationInterface {
  name = 'Baseline1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at := now();
        RETURN NEW;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS set_updated_at()`);
  }
}
