import { Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import { OrganizationEntity } from '../entities/organization.entity.js';
import type { OrganizationKind } from '../identity.types.js';

/** Data access of organisations (identity.organizations). */
@Injectable()
export class OrganizationsRepository {
  async insert(m: EntityManager, name: string, kind: OrganizationKind, currency: string): Promise<OrganizationEntity> {
    const [row] = (await m.query(`INSERT INTO identity.organizations (name, kind, currency) VALUES ($1, $2, $3) RETURNING id, name, kind, currency, created_at`, [
      name,
      kind,
      currency,
    ])) as OrganizationEntity[];
    return row;
  }

  byId(m: EntityManager, id: string): Promise<OrganizationEntity | null> {
    return m.findOneBy(OrganizationEntity, { id });
  }

  /** By name then id, of one kind or all. */
  list(m: EntityManager, kind?: OrganizationKind): Promise<OrganizationEntity[]> {
    return m.find(OrganizationEntity, { where: kind ? { kind } : {}, order: { name: 'ASC', id: 'ASC' } });
  }

  /** Those of these ids that exist, by name then id. */
  byIds(m: EntityManager, ids: readonly string[]): Promise<OrganizationEntity[]> {
    return m.find(OrganizationEntity, { where: { id: In([...new Set(ids)]) }, order: { name: 'ASC', id: 'ASC' } });
  }
}
