import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisations keep {id, name, kind, currency}: what a biller, a university
 * or a campus merchant is beyond that was copied into the owning contexts'
 * own tables by their migrations (billing.billers, campus.*), which run
 * before this one.
 */
export class OrganizationsWithoutProfiles1764500000900 implements MigrationInterface {
  name = 'OrganizationsWithoutProfiles1764500000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX identity.organizations_kind`);
    await q.query(`
      ALTER TABLE identity.organizations
        DROP COLUMN biller_category,
        DROP COLUMN biller_allows_partial,
        DROP COLUMN biller_allows_advance,
        DROP COLUMN university_id,
        DROP COLUMN merchant_category`);
    await q.query(`CREATE INDEX organizations_kind ON identity.organizations (kind)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX identity.organizations_kind`);
    await q.query(`
      ALTER TABLE identity.organizations
        ADD COLUMN biller_category text CHECK (biller_category IN ('ELECTRICITY', 'WATER', 'GAS', 'HEATING', 'CABLE_TV', 'BROADBAND')),
        ADD COLUMN biller_allows_partial boolean NOT NULL DEFAULT false,
        ADD COLUMN biller_allows_advance boolean NOT NULL DEFAULT false,
        ADD COLUMN university_id uuid REFERENCES identity.organizations(id),
        ADD COLUMN merchant_category text CHECK (merchant_category IN ('CANTEEN', 'SHOP', 'LAUNDRY', 'PRINTING', 'LIBRARY', 'OTHER'))`);
    await q.query(`CREATE INDEX organizations_kind ON identity.organizations (kind, biller_category)`);
  }
}
