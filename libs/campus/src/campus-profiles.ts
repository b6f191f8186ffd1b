import { randomBytes } from 'node:crypto';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { OptionalField } from '@app/common';
import type { OrganizationProfile, OrganizationRecord } from '@app/identity';
import { InvalidUniversityError } from './campus.errors.js';

export const MERCHANT_CATEGORIES = ['CANTEEN', 'SHOP', 'LAUNDRY', 'PRINTING', 'LIBRARY', 'OTHER'] as const;

/** A university carries no fields of its own (yet); campus records it so merchants can name it. */
export class UniversityProfileFields {}

/** The fields of `POST /v1/admin/organizations` that campus owns for a MERCHANT. */
export class MerchantProfileFields {
  @ApiPropertyOptional({ description: 'campus merchants: their university' })
  @OptionalField()
  @IsUUID()
  universityId?: string;

  @ApiPropertyOptional({ enum: MERCHANT_CATEGORIES, default: 'OTHER' })
  @OptionalField()
  @IsIn(MERCHANT_CATEGORIES)
  merchantCategory?: string;
}

export class UniversityProfile implements OrganizationProfile<UniversityProfileFields> {
  readonly kinds = ['UNIVERSITY'] as const;
  readonly fields = UniversityProfileFields;

  async create(m: EntityManager, org: OrganizationRecord): Promise<void> {
    // code_ref: the short `aud` of card codes; 4 base64url characters, unique (retried on the rare clash)
    for (;;) {
      const rows = (await m.query(`INSERT INTO campus.universities (organization_id, code_ref) VALUES ($1, $2) ON CONFLICT (code_ref) DO NOTHING RETURNING 1`, [
        org.id,
        randomBytes(3).toString('base64url'),
      ])) as unknown[];
      if (rows.length) return;
    }
  }

  async views(): Promise<Map<string, Record<string, unknown>>> {
    return new Map();
  }
}

interface MerchantRow {
  organization_id: string;
  university_id: string | null;
  category: string;
}

/** What a campus merchant is beyond an organisation: its university and category, in campus.merchants. */
export class MerchantProfile implements OrganizationProfile<MerchantProfileFields> {
  readonly kinds = ['MERCHANT'] as const;
  readonly fields = MerchantProfileFields;

  async create(m: EntityManager, org: OrganizationRecord, input: MerchantProfileFields): Promise<void> {
    if (input.universityId) {
      const found = (await m.query(`SELECT 1 FROM campus.universities WHERE organization_id = $1 FOR SHARE`, [input.universityId])) as unknown[];
      if (found.length === 0) throw new InvalidUniversityError();
    }
    await m.query(`INSERT INTO campus.merchants (organization_id, university_id, category) VALUES ($1, $2, $3)`, [
      org.id,
      input.universityId ?? null,
      input.merchantCategory ?? 'OTHER',
    ]);
  }

  async views(m: EntityManager, orgs: readonly OrganizationRecord[]): Promise<Map<string, Record<string, unknown>>> {
    const rows = (await m.query(`SELECT * FROM campus.merchants WHERE organization_id = ANY($1::uuid[])`, [orgs.map((o) => o.id)])) as MerchantRow[];
    return new Map(rows.map((r) => [r.organization_id, { merchantCategory: r.category, ...(r.university_id ? { universityId: r.university_id } : {}) }]));
  }
}
