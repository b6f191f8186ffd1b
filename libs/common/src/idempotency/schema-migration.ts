import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys move from `public` into the `common` schema, rows and all. */
export class CommonSchema1764500000000 implements MigrationInterface {
  name = 'CommonSchema1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS common`);
    await q.query(`ALTER TABLE public.idempotency_keys SET SCHEMA common`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE common.idempotency_keys SET SCHEMA public`);
  }
}
