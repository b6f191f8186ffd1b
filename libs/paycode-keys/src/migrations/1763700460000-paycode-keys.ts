import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform keys that sign pay codes and ride credentials (paycode.md
 * "Keys"), in their own schema: private keys sealed with AES-256-GCM, at most
 * one current key (the partial unique index makes concurrent first starts
 * agree on one), retired keys published until `retire_after`.
 */
export class PaycodeKeys1763700460000 implements MigrationInterface {
  name = 'PaycodeKeys1763700460000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS paycode`);
    await q.query(`
      CREATE TABLE paycode.signing_keys (
        kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
        public_jwk jsonb NOT NULL,
        private_key_sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        retire_after timestamptz,
        CONSTRAINT signing_keys_retirement CHECK (
          (retired_at IS NULL AND retire_after IS NULL)
          OR (retired_at IS NOT NULL AND retire_after IS NOT NULL AND retire_after >= retired_at)
        )
      )`);
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_current ON paycode.signing_keys ((true)) WHERE retired_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA paycode CASCADE`);
  }
}
