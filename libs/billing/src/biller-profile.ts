import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { type ErrorDetail, OptionalField } from '@app/common';
import type { OrganizationProfile, OrganizationRecord } from '@app/identity';

export const BILLER_CATEGORIES = ['ELECTRICITY', 'WATER', 'GAS', 'HEATING', 'CABLE_TV', 'BROADBAND'] as const;

/** The fields of `POST /v1/admin/organizations` that billing owns (kind BILLER). */
export class BillerProfileFields {
  @ApiPropertyOptional({ enum: BILLER_CATEGORIES, description: 'required for a BILLER' })
  @OptionalField()
  @IsIn(BILLER_CATEGORIES)
  billerCategory?: string;

  @ApiPropertyOptional()
  @OptionalField()
  @IsBoolean()
  billerAllowsPartial?: boolean;

  @ApiPropertyOptional()
  @OptionalField()
  @IsBoolean()
  billerAllowsAdvance?: boolean;
}

interface BillerProfileRow {
  organization_id: string;
  category: string;
  allows_partial: boolean;
  allows_advance: boolean;
}

/** What a biller is beyond an organisation: its category and amount rules, in billing.billers. */
export class BillerProfile implements OrganizationProfile<BillerProfileFields> {
  readonly kinds = ['BILLER'] as const;
  readonly fields = BillerProfileFields;

  validate(input: BillerProfileFields): ErrorDetail[] {
    return input.billerCategory ? [] : [{ field: 'billerCategory', problems: ['is required for a BILLER'] }];
  }

  async create(m: EntityManager, org: OrganizationRecord, input: BillerProfileFields): Promise<void> {
    await m.query(`INSERT INTO billing.billers (organization_id, name, category, allows_partial, allows_advance) VALUES ($1, $2, $3, $4, $5)`, [
      org.id,
      org.name,
      input.billerCategory,
      input.billerAllowsPartial ?? false,
      input.billerAllowsAdvance ?? false,
    ]);
  }

  async views(m: EntityManager, orgs: readonly OrganizationRecord[]): Promise<Map<string, Record<string, unknown>>> {
    const rows = (await m.query(`SELECT * FROM billing.billers WHERE organization_id = ANY($1::uuid[])`, [orgs.map((o) => o.id)])) as BillerProfileRow[];
    return new Map(
      rows.map((r) => [r.organization_id, { billerCategory: r.category, billerAllowsPartial: r.allows_partial, billerAllowsAdvance: r.allows_advance }]),
    );
  }
}
