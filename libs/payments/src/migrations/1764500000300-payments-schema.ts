import type { MigrationInterface, QueryRunner } from 'typeorm';
import { moveToPublic, moveToSchema, type SchemaObjects } from '@app/database';

const OBJECTS: SchemaObjects = {
  tables: ['payment_orders', 'payment_notifications', 'payment_refunds', 'reconciliation_runs', 'reconciliation_mismatches'],
};

/** Payments' tables move from `public` into the `payments` schema, rows and all. */
export class PaymentsSchema1764500000300 implements MigrationInterface {
  name = 'PaymentsSchema1764500000300';

  async up(q: QueryRunner): Promise<void> {
    await moveToSchema(q, 'payments', OBJECTS);
  }

  async down(q: QueryRunner): Promise<void> {
    await moveToPublic(q, 'payments', OBJECTS);
  }
}
