import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which merchant an offline chargeId was first sent for: the same chargeId
 * from another POS of that merchant (a replacement terminal uploading the
 * old one's queue) is DUPLICATE with the first result, from another merchant
 * it is that charge's refusal (the first result is another merchant's, and
 * "DUPLICATE" would tell the POS its sale was recorded). Rows from before
 * have the merchant of their charge when there is one.
 */
export class OfflineResultsMerchant1764900700500 implements MigrationInterface {
  name = 'OfflineResultsMerchant1764900700500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campus.offline_results ADD COLUMN merchant_id uuid REFERENCES campus.merchants (organization_id)`);
    await q.query(`UPDATE campus.offline_results r SET merchant_id = c.merchant_id FROM campus.charges c WHERE c.id = r.charge_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campus.offline_results DROP COLUMN merchant_id`);
  }
}
