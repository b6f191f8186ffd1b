import { Injectable, type Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { type ErrorDetail, flattenValidationErrors } from '@app/common';
import type { OrganizationKind } from '../identity.types.js';

/** What identity knows of an organisation, handed to the context that describes it further. */
export interface OrganizationRecord {
  id: string;
  name: string;
  kind: OrganizationKind;
  currency: string;
}

/**
 * A context's description of the organisations of some kinds (a biller's
 * category and amount rules, a campus merchant's university, a transit
 * operator's profile). Identity stays ignorant of all of it: it hands the
 * fields of `POST /v1/admin/organizations` that a profile declares to that
 * profile, runs `create` in its own creating transaction, and adds what
 * `views` answers to every organisation it shows.
 */
export interface OrganizationProfile<Input extends object = object> {
  /** The kinds this profile describes; one kind has at most one profile. */
  readonly kinds: readonly OrganizationKind[];
  /**
   * A class-validator DTO of the body fields this context owns (its decorators
   * are the 400 rules of those fields; every field needs at least one, e.g.
   * `@OptionalField()`). A field sent for a kind the profile does not describe
   * is refused: "only for kind ...".
   */
  readonly fields: Type<Input>;
  /** Rules across fields or depending on the kind (e.g. required for one kind), answered 400 VALIDATION_FAILED. */
  validate?(input: Input, kind: OrganizationKind): ErrorDetail[];
  /** Writes the context's row(s) for a new organisation, in identity's creating transaction (`manager`); may throw domain errors. */
  create(manager: EntityManager, org: OrganizationRecord, input: Input): Promise<void>;
  /** The extra response fields of these organisations (those of its kinds), keyed by organisation id. */
  views(manager: EntityManager, orgs: readonly OrganizationRecord[]): Promise<Map<string, Record<string, unknown>>>;
}

const fieldNames = (dto: Type<object>): string[] => [
  ...new Set(getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false).map((m) => m.propertyName)),
];

/**
 * The registry contexts register their organisation profiles with, in their
 * `onModuleInit` (before the HTTP server takes requests):
 *
 *   constructor(private readonly profiles: OrganizationProfiles) {}
 *   onModuleInit() { this.profiles.register(new BillerProfile()); }
 */
@Injectable()
export class OrganizationProfiles {
  private readonly byKind = new Map<OrganizationKind, OrganizationProfile>();
  private readonly fieldOwner = new Map<string, OrganizationProfile>();
  private readonly all: OrganizationProfile[] = [];

  register<I extends object>(profile: OrganizationProfile<I>): void {
    const p = profile as unknown as OrganizationProfile;
    for (const kind of p.kinds) {
      if (this.byKind.has(kind)) throw new Error(`Organisation kind ${kind} already has a profile`);
    }
    const fields = fieldNames(p.fields);
    for (const f of fields) {
      if (this.fieldOwner.has(f)) throw new Error(`Organisation field ${f} is already owned by another profile`);
    }
    for (const kind of p.kinds) this.byKind.set(kind, p);
    for (const f of fields) this.fieldOwner.set(f, p);
    this.all.push(p);
  }

  /** The body fields any profile owns (what identity accepts beyond its own). */
  knownFields(): ReadonlySet<string> {
    return new Set(this.fieldOwner.keys());
  }

  /**
   * Checks the profile fields of a creation body for this kind: unknown
   * fields, fields of another kind's profile, the profile's own rules.
   * Answers the problems (empty: valid) and the validated input of the kind's profile.
   */
  check(kind: OrganizationKind, extra: Record<string, unknown>): { problems: ErrorDetail[]; input?: object } {
    const problems: ErrorDetail[] = [];
    for (const field of Object.keys(extra)) {
      const owner = this.fieldOwner.get(field);
      if (!owner) problems.push({ field, problems: ['is not a known field'] });
      else if (!owner.kinds.includes(kind)) problems.push({ field, problems: [`only for kind ${owner.kinds.join(' or ')}`] });
    }
    const profile = this.byKind.get(kind);
    if (!profile) return { problems };
    const mine = Object.fromEntries(Object.entries(extra).filter(([f]) => this.fieldOwner.get(f) === profile));
    const input = plainToInstance(profile.fields, mine);
    problems.push(...flattenValidationErrors(validateSync(input, { forbidUnknownValues: false, validationError: { target: false, value: false } })));
    if (problems.length === 0 && profile.validate) problems.push(...profile.validate(input, kind));
    return { problems, input };
  }

  async create(manager: EntityManager, org: OrganizationRecord, input: object | undefined): Promise<void> {
    const profile = this.byKind.get(org.kind);
    if (profile) await profile.create(manager, org, input ?? {});
  }

  /** Each organisation's extra fields from its kind's profile (an empty object where none). */
  async views(manager: EntityManager, orgs: readonly OrganizationRecord[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const profile of this.all) {
      const mine = orgs.filter((o) => profile.kinds.includes(o.kind));
      if (mine.length === 0) continue;
      for (const [id, view] of await profile.views(manager, mine)) out.set(id, view);
    }
    return out;
  }
}
