import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { type ErrorDetail, OptionalField } from '@app/common';
import type { OrganizationProfile, OrganizationRecord } from '@app/identity';
import type { BillersRepository } from './billers.repository.js';

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

/** What a biller is beyond an organisation: its category and amount rules, in billing.billers. */
export class BillerProfile implements OrganizationProfile<BillerProfileFields> {
  readonly kinds = ['BILLER'] as const;
  readonly fields = BillerProfileFields;

  constructor(private readonly billers: BillersRepository) {}

  validate(input: BillerProfileFields): ErrorDetail[] {
    return input.billerCategory ? [] : [{ field: 'billerCategory', problems: ['is required for a BILLER'] }];
  }

  async create(m: EntityManager, org: OrganizationRecord, input: BillerProfileFields): Promise<void> {
    await this.billers.insert(m, {
      organization_id: org.id,
      name: org.name,
      category: input.billerCategory!,
      allows_partial: input.billerAllowsPartial ?? false,
      allows_advance: input.billerAllowsAdvance ?? false,
    });
  }

  async views(m: EntityManager, orgs: readonly OrganizationRecord[]): Promise<Map<string, Record<string, unknown>>> {
    const rows = await this.billers.byIds(m, orgs.map((o) => o.id));
    return new Map(
      rows.map((r) => [r.organization_id, { billerCategory: r.category, billerAllowsPartial: r.allows_partial, billerAllowsAdvance: r.allows_advance }]),
    );
  }
}
