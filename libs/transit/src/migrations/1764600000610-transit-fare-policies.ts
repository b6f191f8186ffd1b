import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fare policies of operators, one row per PUT: a trip is priced by the version in force when it was boarded. */
export class TransitFarePolicies1764600000610 implements MigrationInterface {
  name = 'TransitFarePolicies1764600000610';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transit.fare_policies (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id uuid NOT NULL REFERENCES transit.operators (organization_id),
        effective_from timestamptz NOT NULL DEFAULT now(),
        policy jsonb NOT NULL,
        created_by uuid NOT NULL
      )`);
    await q.query(`CREATE INDEX fare_policies_operator ON transit.fare_policies (operator_id, effective_from, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE transit.fare_policies`);
  }
}
