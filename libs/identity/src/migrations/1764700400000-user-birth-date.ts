import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The birth date of a verified PRC ID, kept at verification so that other
 * contexts can answer age rules (transit's senior concession) without ever
 * seeing the number. Nothing is backfilled: the numbers verified before are
 * kept only as a keyed hash, from which no birth date can be read; those
 * riders get it when they verify again.
 */
export class UserBirthDate1764700400000 implements MigrationInterface {
  name = 'UserBirthDate1764700400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity.users ADD COLUMN birth_date date`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity.users DROP COLUMN birth_date`);
  }
}
