import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { BillerEntity } from './entities/biller.entity.js';

/** Data access of billers' profiles (billing.billers). */
@Injectable()
export class BillersRepository {
  /** Every biller, or those of one category (no order: identity orders them by name). */
  all(m: EntityManager, category?: string): Promise<BillerEntity[]> {
    return m.findBy(BillerEntity, category === undefined ? {} : { category });
  }

  byId(m: EntityManager, organizationId: string): Promise<BillerEntity | null> {
    return m.findOneBy(BillerEntity, { organization_id: organizationId });
  }

  byIds(m: EntityManager, organizationIds: readonly string[]): Promise<BillerEntity[]> {
    return m.findBy(BillerEntity, { organization_id: In([...organizationIds]) });
  }

  /** In the organisation's creating transaction. */
  async insert(m: EntityManager, biller: Omit<BillerEntity, 'created_at'>): Promise<void> {
    await m.insert(BillerEntity, biller);
  }
}
