import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { flattenValidationErrors, NotFoundError, type RequestMeta, ValidationFailedError } from '@app/common';
import { AuditService } from '../audit/audit.service.js';
import { CreateOrganizationDto } from '../dto/organization.dto.js';
import type { OrganizationKind, StaffRole } from '../identity.types.js';
import type { OrganizationEntity } from '../entities/organization.entity.js';
import { UsersRepository } from '../users.repository.js';
import { OrganizationProfiles, type OrganizationRecord } from './organization-profiles.js';
import { OrganizationsRepository } from './organizations.repository.js';

/** An organisation as the API shows it: identity's fields plus those of its kind's profile. */
export interface OrganizationView {
  id: string;
  name: string;
  kind: OrganizationKind;
  currency: string;
  createdAt: string;
  [profileField: string]: unknown;
}

const record = (r: OrganizationEntity): OrganizationRecord => ({ id: r.id, name: r.name, kind: r.kind, currency: r.currency.trim() });

const OWN_FIELDS = new Set(['name', 'kind', 'currency']);

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly profiles: OrganizationProfiles,
    private readonly orgs: OrganizationsRepository,
    private readonly users: UsersRepository,
  ) {}

  /**
   * Validates a creation body: identity's fields by its DTO, the rest by the
   * profile of the kind (400 VALIDATION_FAILED, all problems at once).
   */
  private validate(body: unknown): { own: CreateOrganizationDto; profileInput?: object } {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationFailedError([{ field: 'body', problems: ['must be a JSON object'] }]);
    }
    const entries = Object.entries(body as Record<string, unknown>);
    const own = plainToInstance(CreateOrganizationDto, Object.fromEntries(entries.filter(([k]) => OWN_FIELDS.has(k))));
    const problems = flattenValidationErrors(validateSync(own, { validationError: { target: false, value: false } }));
    const extra = Object.fromEntries(entries.filter(([k]) => !OWN_FIELDS.has(k)));
    if (problems.length > 0) {
      // the kind is not known to be valid: only say which fields nobody owns
      const known = this.profiles.knownFields();
      for (const field of Object.keys(extra)) if (!known.has(field)) problems.push({ field, problems: ['is not a known field'] });
      throw new ValidationFailedError(problems);
    }
    const checked = this.profiles.check(own.kind, extra);
    if (checked.problems.length > 0) throw new ValidationFailedError(checked.problems);
    return { own, profileInput: checked.input };
  }

  private async views(m: EntityManager, rows: OrganizationEntity[]): Promise<OrganizationView[]> {
    const records = rows.map(record);
    const extra = await this.profiles.views(m, records);
    return rows.map((r, i) => ({ ...records[i], ...extra.get(r.id), currency: records[i].currency, createdAt: r.created_at.toISOString() }));
  }

  async create(body: unknown, actorUserId: string, meta: RequestMeta): Promise<OrganizationView> {
    const { own, profileInput } = this.validate(body);
    return this.dataSource.transaction(async (m) => {
      const row = await this.orgs.insert(m, own.name.trim(), own.kind, own.currency ?? 'CNY');
      await this.profiles.create(m, record(row), profileInput);
      await this.audit.record(
        { action: 'ORGANIZATION_CREATED', actorUserId, targetType: 'organization', targetId: row.id, details: { kind: own.kind, name: row.name }, meta },
        m,
      );
      return (await this.views(m, [row]))[0];
    });
  }

  async get(id: string): Promise<OrganizationView> {
    const m = this.dataSource.manager;
    const row = await this.orgs.byId(m, id);
    if (!row) throw new NotFoundError('No such organisation');
    return (await this.views(m, [row]))[0];
  }

  async list(kind?: OrganizationKind): Promise<OrganizationView[]> {
    const m = this.dataSource.manager;
    return this.views(m, await this.orgs.list(m, kind));
  }

  /** Identity's own record of these organisations (those that exist), by name then id, for contexts that show them. */
  async records(ids: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<OrganizationRecord[]> {
    if (ids.length === 0) return [];
    return (await this.orgs.byIds(manager, ids)).map(record);
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
      if (!(await this.orgs.byId(m, organizationId))) throw new NotFoundError('No such organisation');
      const user = await this.users.byPhone(m, phone);
      if (!user) throw new NotFoundError('No user with this phone number');
      if (await this.users.grantRole(m, user.id, role, organizationId, actorUserId)) {
        await this.audit.record(
          { action: 'ROLE_GRANTED', actorUserId, targetType: 'user', targetId: user.id, details: { role, organizationId }, meta },
          m,
        );
      }
      return { userId: user.id, organizationId, role };
    });
  }
}
