import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys of api.md: per caller and key, the request's hash and the stored response. */
export class Idempotency1763700150000 implements MigrationInterface {
  name = 'Idempotency1763700150000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
        request_hash bytea NOT NULL,
        claim uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('IN_PROGRESS', 'COMPLETED')),
        response_status integer,
        response_body json,
        locked_until timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (scope, key),
        CONSTRAINT idempotency_completed CHECK ((status = 'COMPLETED') = (response_status IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS idempotency_keys`);
  }
}

/**
 * The owner of an IN_PROGRESS claim: the PostgreSQL backend (pid and start
 * time) of the claiming process's owner session. When that backend is gone,
 * the process is gone, and a retry may take the claim over at once.
 */
export class IdempotencyOwners1764500000950 implements MigrationInterface {
  name = 'IdempotencyOwners1764500000950';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE common.idempotency_keys ADD COLUMN owner_pid integer, ADD COLUMN owner_started timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE common.idempotency_keys DROP COLUMN IF EXISTS owner_pid, DROP COLUMN IF EXISTS owner_started`);
  }
}
