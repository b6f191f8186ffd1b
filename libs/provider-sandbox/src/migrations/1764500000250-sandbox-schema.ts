import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveToPublic, moveToSchema, type SchemaObjects } from '@app/database';

const OBJECTS: SchemaObjects = { tables: ['sandbox_merchants', 'sandbox_trades', 'sandbox_refunds', 'sandbox_faults'] };

/** The provider sandbox's tables move from `public` into the `sandbox` schema, rows and all. */
export class SandboxSchema1764500000250 implements MigrationInterface {
  name = 'SandboxSchema1764500000250';

  async up(q: QueryRunner): Promise<void> {
    await moveToSchema(q, 'sandbox', OBJECTS);
  }

  async down(q: QueryRunner): Promise<void> {
    await moveToPublic(q, 'sandbox', OBJECTS);
  }
}
