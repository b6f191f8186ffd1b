import type { EntityManager } from 'typeorm';
import type { OrganizationProfile, OrganizationRecord } from '@app/identity';

/** A transit operator carries no creation fields of its own (fare policy and routes come later, by its staff). */
export class OperatorProfileFields {}

/** What a transit operator is beyond an organisation: its row in transit.operators (routes, vehicles, trips hang on it). */
export class OperatorProfile implements OrganizationProfile<OperatorProfileFields> {
  readonly kinds = ['TRANSIT_OPERATOR'] as const;
  readonly fields = OperatorProfileFields;

  async create(m: EntityManager, org: OrganizationRecord): Promise<void> {
    await m.query(`INSERT INTO transit.operators (organization_id) VALUES ($1)`, [org.id]);
  }

  async views(): Promise<Map<string, Record<string, unknown>>> {
    return new Map();
  }
}
