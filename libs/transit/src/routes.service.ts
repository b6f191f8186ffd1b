import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { DataSource } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '@app/common';
import type { Currency } from '@app/common';
import { withTransactionRetry } from '@app/database';
import { OrganizationsService } from '@app/identity';
import type { AuthenticatedUser } from '@app/identity';
import { buildVehicleSticker } from '@app/paycode';
import { routeFareToJson, validateRouteFare } from './domain/route-fare.js';
import { farePolicyToJson, policyAt, validateFarePolicy, type FarePolicyJson } from './domain/fare-policy.js';
import { PricingRepository } from './pricing.js';
import { fareOf, RoutesRepository, type RouteRow, type VehicleRow } from './routes.repository.js';
import { NotOperatorStaffError, PlateTakenError, RouteCodeTakenError, UnknownRouteError } from './transit.errors.js';

export interface RouteView {
  id: string;
  operatorId: string;
  code: string;
  name: string;
  fare: Record<string, string | number>;
  createdAt: string;
}

export interface VehicleView {
  id: string;
  operatorId: string;
  plate: string;
  routeCode: string;
  staticQr: string;
  staticQrSvg: string;
}

export const toRouteView = (r: RouteRow): RouteView => ({
  id: r.id,
  operatorId: r.operator_id,
  code: r.code,
  name: r.name,
  fare: routeFareToJson(fareOf(r)),
  createdAt: r.created_at.toISOString(),
});

/** The city on every bus-door sticker (EMVCo tag 60). */
export const STICKER_CITY = 'Tianjin';

/** Routes and vehicles of an operator, managed by its staff. */
@Injectable()
export class RoutesService {
  readonly repo = new RoutesRepository();
  private readonly pricing = new PricingRepository();

  constructor(
    private readonly dataSource: DataSource,
    private readonly orgs: OrganizationsService,
  ) {}

  /**
   * The operator the caller acts for: one they are staff (ORG_ADMIN or
   * ORG_OPERATOR) of; `operatorId` chooses when they are staff of several.
   */
  async operatorFor(user: AuthenticatedUser, operatorId?: string): Promise<string> {
    const staffOf = user.roles.filter((r) => r.organizationId && (r.role === 'ORG_ADMIN' || r.role === 'ORG_OPERATOR')).map((r) => r.organizationId!);
    const operators = await this.repo.operatorsAmong(this.dataSource.manager, staffOf);
    if (operatorId !== undefined) {
      if (!operators.includes(operatorId)) throw new NotOperatorStaffError('You are not staff of this transit operator');
      return operatorId;
    }
    if (operators.length === 0) throw new NotOperatorStaffError();
    if (operators.length > 1) throw new ValidationFailedError([{ field: 'operatorId', problems: ['is required: you are staff of several operators'] }]);
    return operators[0];
  }

  async createRoute(user: AuthenticatedUser, body: { code: string; name: string; fare: unknown; operatorId?: string }): Promise<RouteView> {
    const operatorId = await this.operatorFor(user, body.operatorId);
    const [org] = await this.orgs.records([operatorId]);
    const checked = validateRouteFare(body.fare, { currency: org.currency as Currency });
    if (!checked.ok) throw new ValidationFailedError(checked.details);
    const row = await this.repo.insertRoute(this.dataSource.manager, operatorId, body.code, body.name, checked.fare);
    if (!row) throw new RouteCodeTakenError(body.code);
    return toRouteView(row);
  }

  async routes(user: AuthenticatedUser, operatorId?: string): Promise<RouteView[]> {
    const op = await this.operatorFor(user, operatorId);
    return (await this.repo.routes(this.dataSource.manager, op)).map(toRouteView);
  }

  private async operator(operatorId: string): Promise<{ id: string; currency: Currency }> {
    const [found] = await this.repo.operatorsAmong(this.dataSource.manager, [operatorId]);
    if (!found) throw new NotFoundError('No such transit operator');
    const [org] = await this.orgs.records([operatorId]);
    return { id: operatorId, currency: org.currency as Currency };
  }

  /** PUT fare-policy: a new version, for trips boarded from now on. */
  async putFarePolicy(operatorId: string, body: unknown, userId: string): Promise<FarePolicyJson & { effectiveFrom: string | null }> {
    const op = await this.operator(operatorId);
    const checked = validateFarePolicy(body, { currency: op.currency });
    if (!checked.ok) throw new ValidationFailedError(checked.details);
    await this.pricing.insert(this.dataSource.manager, operatorId, checked.policy, userId);
    return this.farePolicy(operatorId);
  }

  /** The policy in force now ({} when none was ever set). */
  async farePolicy(operatorId: string): Promise<FarePolicyJson & { effectiveFrom: string | null }> {
    await this.operator(operatorId);
    const versions = await this.pricing.versions(this.dataSource.manager, operatorId);
    const now = new Date();
    const current = policyAt(versions, now);
    const from = versions.filter((v) => v.effectiveFrom <= now).at(-1)?.effectiveFrom ?? null;
    return { ...(current ? farePolicyToJson(current) : {}), effectiveFrom: from ? from.toISOString() : null };
  }

  async createVehicle(user: AuthenticatedUser, body: { plate: string; routeCode: string; operatorId?: string }): Promise<VehicleView> {
    const operatorId = await this.operatorFor(user, body.operatorId);
    const [org] = await this.orgs.records([operatorId]);
    return withTransactionRetry(this.dataSource, async (m) => {
      const [route] = await this.repo.routesByCodes(m, operatorId, [body.routeCode]);
      if (!route) throw new UnknownRouteError(body.routeCode);
      const id = randomUUID();
      const staticQr = buildVehicleSticker({ vehicleId: id, merchantName: Array.from(org.name).slice(0, 25).join(''), merchantCity: STICKER_CITY });
      if (!(await this.repo.insertVehicle(m, id, operatorId, route.id, body.plate, staticQr))) throw new PlateTakenError(body.plate);
      return this.vehicleView({ id, operator_id: operatorId, route_id: route.id, plate: body.plate, static_qr: staticQr, route_code: route.code });
    });
  }

  async vehicles(user: AuthenticatedUser, operatorId?: string): Promise<VehicleView[]> {
    const op = await this.operatorFor(user, operatorId);
    return Promise.all((await this.repo.vehicles(this.dataSource.manager, op)).map((v) => this.vehicleView(v)));
  }

  private async vehicleView(v: VehicleRow): Promise<VehicleView> {
    return {
      id: v.id,
      operatorId: v.operator_id,
      plate: v.plate,
      routeCode: v.route_code,
      staticQr: v.static_qr,
      staticQrSvg: await QRCode.toString(v.static_qr, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    };
  }
}
