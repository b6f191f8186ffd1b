import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError, type RequestMeta, ValidationFailedError } from '@app/common';
import { AuditService } from '../audit/audit.service.js';
import { InvalidUniversityError } from '../identity.errors.js';
import type { OrganizationKind, StaffRole } from '../identity.types.js';

export interface NewOrganization {
  name: string;
  kind: OrganizationKind;
  billerCategory?: string;
  billerAllowsPartial?: boolean;
  billerAllowsAdvance?: boolean;
  universityId?: string;
  merchantCategory?: string;
  currency?: string;
}

export interface OrganizationView extends NewOrganization {
  id: string;
  currency: string;
  createdAt: string;
}

interface OrganizationRow {
  id: string;
  name: string;
  kind: OrganizationKind;
  biller_category: string | null;
  biller_allows_partial: boolean;
  biller_allows_advance: boolean;
  university_id: string | null;
  merchant_category: string | null;
  currency: string;
  created_at: Date;
}

function toView(r: OrganizationRow): OrganizationView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    ...(r.kind === 'BILLER'
      ? { billerCategory: r.biller_category!, billerAllowsPartial: r.biller_allows_partial, billerAllowsAdvance: r.biller_allows_advance }
      : {}),
    ...(r.kind === 'MERCHANT' ? { merchantCategory: r.merchant_category ?? 'OTHER', ...(r.university_id ? { universityId: r.university_id } : {}) } : {}),
    currency: r.currency.trim(),
    createdAt: r.created_at.toISOString(),
  };
}

/** Which attributes each kind may carry (api.md: organisations). */
function checkKindRules(o: NewOrganization): void {
  const problems: { field: string; problems: string[] }[] = [];
  const only = (field: keyof NewOrganization, kind: OrganizationKind) => {
    if (o[field] !== undefined && o.kind !== kind) problems.push({ field, problems: [`only for kind ${kind}`] });
  };
  if (o.kind === 'BILLER' && !o.billerCategory) problems.push({ field: 'billerCategory', problems: ['is required for a BILLER'] });
  only('billerCategory', 'BILLER');
  only('billerAllowsPartial', 'BILLER');
  only('billerAllowsAdvance', 'BILLER');
  only('universityId', 'MERCHANT');
  only('merchantCategory', 'MERCHANT');
  if (problems.length) throw new ValidationFailedError(problems);
}

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(o: NewOrganization, actorUserId: string, meta: RequestMeta): Promise<OrganizationView> {
    checkKindRules(o);
    return this.dataSource.transaction(async (m) => {
      if (o.universityId) {
        const [uni] = (await m.query(`SELECT kind FROM organizations WHERE id = $1 FOR SHARE`, [o.universityId])) as { kind: string }[];
        if (uni?.kind !== 'UNIVERSITY') throw new InvalidUniversityError();
      }
      const [row] = (await m.query(
        `INSERT INTO organizations (name, kind, biller_category, biller_allows_partial, biller_allows_advance,
                                    university_id, merchant_category, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [
          o.name.trim(),
          o.kind,
          o.billerCategory ?? null,
          o.billerAllowsPartial ?? false,
          o.billerAllowsAdvance ?? false,
          o.universityId ?? null,
          o.kind === 'MERCHANT' ? (o.merchantCategory ?? 'OTHER') : null,
          o.currency ?? 'CNY',
        ],
      )) as OrganizationRow[];
      await this.audit.record(
        { action: 'ORGANIZATION_CREATED', actorUserId, targetType: 'organization', targetId: row.id, details: { kind: o.kind, name: row.name }, meta },
        m,
      );
      return toView(row);
    });
  }

  async get(id: string): Promise<OrganizationView> {
    const [row] = (await this.dataSource.query(`SELECT * FROM organizations WHERE id = $1`, [id])) as OrganizationRow[];
    if (!row) throw new NotFoundError('No such organisation');
    return toView(row);
  }

  async list(kind?: OrganizationKind): Promise<OrganizationView[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM organizations WHERE ($1::text IS NULL OR kind = $1) ORDER BY name, id`,
      [kind ?? null],
    )) as OrganizationRow[];
    return rows.map(toView);
  }

  /** Grants a staff role; granting one the user already has changes nothing. */
  async grantStaff(
    organizationId: string,
    phone: string,
    role: StaffRole,
    actorUserId: string,
    meta: RequestMeta,
  ): Promise<{ userId: string; organizationId: string; role: StaffRole }> {
    return this.dataSource.transaction(async (m) => {
      const [org] = (await m.query(`SELECT id FROM organizations WHERE id = $1`, [organizationId])) as { id: string }[];
      if (!org) throw new NotFoundError('No such organisation');
      const [user] = (await m.query(`SELECT id FROM users WHERE phone = $1`, [phone])) as { id: string }[];
      if (!user) throw new NotFoundError('No user with this phone number');
      const inserted = (await m.query(
        `INSERT INTO role_grants (user_id, role, organization_id, granted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING id`,
        [user.id, role, organizationId, actorUserId],
      )) as unknown[];
      if (inserted.length > 0) {
        await this.audit.record(
          { action: 'ROLE_GRANTED', actorUserId, targetType: 'user', targetId: user.id, details: { role, organizationId }, meta },
          m,
        );
      }
      return { userId: user.id, organizationId, role };
    });
  }
}
